"""Fair scheduling between users: per-user round-robin within the interactive priority.

Huey runs the highest priority first and, within one priority, the oldest message first
(``SqliteHuey``: ``ORDER BY priority DESC, id``; ``PriorityRedisHuey``: a sorted set whose
members start with the enqueue time). With one priority for every editor/API job the queue
would be FIFO: one user's six upscales would make everyone else wait for all six.

So the task layer (``tasks.enqueue_generation`` / ``enqueue_video``) gives each image or
video job the interactive priority lowered by a fraction for every job of the same owner
that is ahead of it (:func:`ahead`: queued or running, created before it):

    priority = PRIORITY_INTERACTIVE - n / (n + 1)      n = 0, 1, 2 ...  ->  100, 99.5, 99.67 ...

A user's first job outranks every other user's second, their second every third, and so
on: the queue serves one job per user in turn, and a new user's job starts as soon as the
job running now ends, whatever backlog others have. The fraction stays below 1, so image
and video jobs stay above renditions (``PRIORITY_RENDITION``) as long as the priorities are
integers at least 1 apart (the defaults: 100, 10, 0).

The rank is taken when the job is queued (and again when it is re-queued: lost message,
model installed); it is not changed afterwards. A job queued while the same user's earlier
jobs are being worked off may therefore run before the last of those (its rank counts the
backlog left now, theirs the backlog when they were queued); other users' jobs are never
delayed by it.
"""

from __future__ import annotations

from django.db.models import Q

from wagtail_gan.models import GenerationJob, Job, VideoJob

# The job kinds that share the interactive priority, hence one round-robin.
INTERACTIVE = (GenerationJob, VideoJob)


def ahead(model: type[Job], job_id: int) -> int:
    """How many jobs of this job's owner (image and video jobs) are queued or running and
    were created before it. 0 for a job without an owner, or one that no longer exists."""
    row = model.objects.filter(pk=job_id).values("user_id", "created_at").first()
    if row is None or row["user_id"] is None:
        return 0
    before = Q(created_at__lt=row["created_at"])
    count = 0
    for kind in INTERACTIVE:
        earlier = before | Q(created_at=row["created_at"], pk__lt=job_id) if kind is model \
            else before
        count += kind.objects.filter(earlier, user_id=row["user_id"],
                                     status__in=Job.ACTIVE_STATUSES).count()
    return count


def priority(base: int, rank: int) -> float:
    """``base`` lowered by ``rank / (rank + 1)``: higher for fewer jobs ahead, never by 1."""
    return base - rank / (rank + 1)
