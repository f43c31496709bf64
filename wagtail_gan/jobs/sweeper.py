"""Recovering editor/API jobs a dead worker left behind (periodic task ``sweep_renditions``
and ``manage.py gan_sweep``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import GenerationJob
from wagtail_gan.work import liveness
from wagtail_gan.work.outcome import Outcome

logger = logging.getLogger(__name__)


def sweep_generation_jobs(now=None) -> Outcome:
    """Recover generation jobs a dead worker left behind (periodic task ``sweep_renditions``
    and ``manage.py gan_sweep``):

    * running, and the worker that claimed it is dead (no liveness beat for WORKER_DEAD_AFTER,
      ``work.liveness``) or no heartbeat for JOB_HEARTBEAT_TIMEOUT (a job run outside a
      consumer, or not in flight on its worker any more) -> failed, with an error the editor
      sees (re-running a job that may have killed its worker is left to the editor). A job
      on a live worker keeps its heartbeat fresh however slow the model is;
    * queued, not picked up for JOB_QUEUE_TIMEOUT -> re-queued once (a lost queue message; a
      duplicate message is harmless, the worker claims a job once; ``Outcome.requeue`` lists
      them for the task), then failed.

    Every change is a conditional UPDATE on the row's status and heartbeat, so a job that
    beats, starts or finishes meanwhile is left alone, and concurrent sweepers act once.
    """
    Status = GenerationJob.Status
    now = now or timezone.now()
    counts = {"jobs_failed": 0, "jobs_requeued": 0}
    requeue = []
    counts["jobs_failed"] = fail_lost_jobs(now)

    queue_timeout = int(gan_settings.JOB_QUEUE_TIMEOUT)
    waited = now - timedelta(seconds=queue_timeout)
    queued = GenerationJob.objects.filter(status=Status.QUEUED).filter(
        Q(heartbeat_at__lt=waited) | Q(heartbeat_at=None, created_at__lt=waited)
    )
    for job in queued.only("pk", "heartbeat_at", "requeue_count"):
        rows = GenerationJob.objects.filter(
            pk=job.pk, status=Status.QUEUED, heartbeat_at=job.heartbeat_at,
            requeue_count=job.requeue_count,
        )
        if job.requeue_count < 1:
            if rows.update(heartbeat_at=now, requeue_count=job.requeue_count + 1):
                logger.warning("Generation job %s: no worker picked it up; re-queued", job.pk)
                requeue.append(job.pk)
                counts["jobs_requeued"] += 1
        elif rows.update(
            status=Status.FAILED, finished_at=now,
            error=(f"No worker picked this job up (waited over {queue_timeout} seconds, "
                   "re-queued once). Is the worker (manage.py run_huey) running?"),
        ):
            logger.warning("Generation job %s: never picked up; marked failed", job.pk)
            counts["jobs_failed"] += 1
    return Outcome("swept", requeue=requeue, counts=counts)


def lost_running_jobs(now=None):
    """Running jobs whose worker is gone: a dead ``WorkerProcess``, or (no worker recorded, or
    the job not in flight on its worker) no heartbeat for JOB_HEARTBEAT_TIMEOUT."""
    now = now or timezone.now()
    running = GenerationJob.objects.filter(status=GenerationJob.Status.RUNNING)
    stale = now - timedelta(seconds=int(gan_settings.JOB_HEARTBEAT_TIMEOUT))
    timed_out = running.filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None, started_at__lt=stale)
        | Q(heartbeat_at=None, started_at=None)
    )
    return timed_out | liveness.dead_claims(running, now)


def orphaned_jobs(now=None):
    """Running jobs whose worker is known to be gone - its ``WorkerProcess`` is dead, or its
    heartbeat is older than JOB_HEARTBEAT_TIMEOUT - which their owner may cancel or discard
    at once (``jobs.review``). Rows without any timestamp are left to the sweeper."""
    now = now or timezone.now()
    running = GenerationJob.objects.filter(status=GenerationJob.Status.RUNNING)
    stale = now - timedelta(seconds=int(gan_settings.JOB_HEARTBEAT_TIMEOUT))
    return running.filter(heartbeat_at__lt=stale) | liveness.dead_claims(running, now)


def lost_message(job, now=None) -> str:
    if job.worker_id and liveness.is_dead(job.worker_id, now):
        host = job.worker_id.rsplit(":", 1)[0]
        return (f"The worker stopped while running this job (worker {host}: no sign of life "
                f"for over {int(gan_settings.WORKER_DEAD_AFTER)} seconds; it was stopped, "
                "killed or ran out of memory). Nothing was added to the library; start the "
                "job again.")
    return (f"The worker stopped while running this job (no sign of life for over "
            f"{int(gan_settings.JOB_HEARTBEAT_TIMEOUT)} seconds: it was stopped, killed or ran "
            "out of memory). Nothing was added to the library; start the job again.")


def fail_lost_jobs(now=None) -> int:
    """Fail the running jobs whose worker is gone (also called by live workers on every
    liveness beat, so a dead peer's jobs fail within about WORKER_DEAD_AFTER)."""
    Status = GenerationJob.Status
    now = now or timezone.now()
    failed = 0
    for job in lost_running_jobs(now).only("pk", "heartbeat_at", "worker_id"):
        if GenerationJob.objects.filter(
            pk=job.pk, status=Status.RUNNING, heartbeat_at=job.heartbeat_at,
            worker_id=job.worker_id,
        ).update(status=Status.FAILED, finished_at=now, error=lost_message(job, now)):
            logger.warning("Generation job %s: worker %s lost; marked failed", job.pk,
                           job.worker_id or "(not recorded)")
            failed += 1
    return failed
