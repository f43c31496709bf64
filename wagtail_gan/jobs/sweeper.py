"""Recovering editor/API jobs a dead worker left behind (periodic task ``sweep_renditions``
and ``manage.py gan_sweep``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import GenerationJob
from wagtail_gan.work.outcome import Outcome

logger = logging.getLogger(__name__)


def sweep_generation_jobs(now=None) -> Outcome:
    """Recover generation jobs a dead worker left behind (periodic task ``sweep_renditions``
    and ``manage.py gan_sweep``):

    * running, no heartbeat for JOB_HEARTBEAT_TIMEOUT -> failed, with an error the editor sees
      (the worker died mid-run; re-running a job that may have killed its worker is left to
      the editor);
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
    heartbeat_timeout = int(gan_settings.JOB_HEARTBEAT_TIMEOUT)
    dead = now - timedelta(seconds=heartbeat_timeout)
    running = GenerationJob.objects.filter(status=Status.RUNNING).filter(
        Q(heartbeat_at__lt=dead) | Q(heartbeat_at=None, started_at__lt=dead)
        | Q(heartbeat_at=None, started_at=None)
    )
    for job in running.only("pk", "heartbeat_at", "started_at"):
        if GenerationJob.objects.filter(
            pk=job.pk, status=Status.RUNNING, heartbeat_at=job.heartbeat_at
        ).update(
            status=Status.FAILED, finished_at=now,
            error=(f"The worker stopped while running this job (no sign of life for over "
                   f"{heartbeat_timeout} seconds: it was stopped, killed or ran out of memory). "
                   "Nothing was added to the library; start the job again."),
        ):
            logger.warning("Generation job %s: worker lost (no heartbeat); marked failed", job.pk)
            counts["jobs_failed"] += 1

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
