"""Recovering video jobs a dead worker left behind (periodic task ``sweep_renditions``, and
each live worker's liveness beat), the same rules as ``jobs.sweeper`` for generation jobs:

* running, and the worker that claimed it is dead (no liveness beat for WORKER_DEAD_AFTER,
  ``work.liveness``) or no heartbeat for JOB_HEARTBEAT_TIMEOUT -> failed, with a message the
  editor sees. A job on a live worker keeps its heartbeat fresh (``liveness.running``)
  however slow the video is, so it is never failed here;
* queued, not picked up for JOB_QUEUE_TIMEOUT -> re-queued once (``Outcome.requeue``), then
  failed.

Every change is a conditional UPDATE on the row's status and heartbeat, so a job that beats,
starts or finishes meanwhile is left alone, and concurrent sweepers act once. Imports nothing
of the worker (the web tier's cancel uses ``orphaned_jobs``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs.sweeper import lost_message
from wagtail_gan.models import VideoJob
from wagtail_gan.work import liveness
from wagtail_gan.work.outcome import Outcome

logger = logging.getLogger(__name__)
Status = VideoJob.Status


def _stale(now):
    return now - timedelta(seconds=int(gan_settings.JOB_HEARTBEAT_TIMEOUT))


def lost_running_jobs(now=None):
    """Running video jobs whose worker is gone: a dead ``WorkerProcess``, or no heartbeat for
    JOB_HEARTBEAT_TIMEOUT (no worker recorded, or the job not in flight on its worker)."""
    now = now or timezone.now()
    running = VideoJob.objects.filter(status=Status.RUNNING)
    stale = _stale(now)
    timed_out = running.filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None, started_at__lt=stale)
        | Q(heartbeat_at=None, started_at=None)
    )
    return timed_out | liveness.dead_claims(running, now)


def orphaned_jobs(now=None):
    """Running video jobs whose worker is known to be gone, which their owner may cancel at
    once. Rows without any timestamp are left to the sweeper."""
    now = now or timezone.now()
    running = VideoJob.objects.filter(status=Status.RUNNING)
    return running.filter(heartbeat_at__lt=_stale(now)) | liveness.dead_claims(running, now)


def fail_lost_jobs(now=None) -> int:
    """Fail the running video jobs whose worker is gone; returns how many."""
    now = now or timezone.now()
    failed = 0
    for job in lost_running_jobs(now).only("pk", "heartbeat_at", "worker_id"):
        if VideoJob.objects.filter(
            pk=job.pk, status=Status.RUNNING, heartbeat_at=job.heartbeat_at,
            worker_id=job.worker_id,
        ).update(status=Status.FAILED, finished_at=now, error=lost_message(job, now)):
            logger.warning("Video job %s: worker %s lost; marked failed", job.pk,
                           job.worker_id or "(not recorded)")
            failed += 1
    return failed


def sweep_video_jobs(now=None) -> Outcome:
    """One pass: fail lost running jobs, re-queue (once) or fail queued ones nobody took.
    ``Outcome.requeue`` lists the ids for the task layer to enqueue again."""
    now = now or timezone.now()
    counts = {"video_failed": fail_lost_jobs(now), "video_requeued": 0}
    requeue = []
    queue_timeout = int(gan_settings.JOB_QUEUE_TIMEOUT)
    waited = now - timedelta(seconds=queue_timeout)
    queued = VideoJob.objects.filter(status=Status.QUEUED).filter(
        Q(heartbeat_at__lt=waited) | Q(heartbeat_at=None, created_at__lt=waited))
    for job in queued.only("pk", "heartbeat_at", "requeue_count"):
        rows = VideoJob.objects.filter(pk=job.pk, status=Status.QUEUED,
                                       heartbeat_at=job.heartbeat_at,
                                       requeue_count=job.requeue_count)
        if job.requeue_count < 1:
            if rows.update(heartbeat_at=now, requeue_count=job.requeue_count + 1):
                logger.warning("Video job %s: no worker picked it up; re-queued", job.pk)
                requeue.append(job.pk)
                counts["video_requeued"] += 1
        elif rows.update(
            status=Status.FAILED, finished_at=now,
            error=(f"No worker picked this video job up (waited over {queue_timeout} seconds, "
                   "re-queued once). Is the worker (manage.py run_huey) running?"),
        ):
            logger.warning("Video job %s: never picked up; marked failed", job.pk)
            counts["video_failed"] += 1
    return Outcome("swept", requeue=requeue, counts=counts)
