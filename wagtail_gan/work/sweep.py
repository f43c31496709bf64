"""Recovering the jobs a dead worker left behind, once for every job table with the columns
``status`` (``Status.QUEUED`` / ``RUNNING`` / ``FAILED``), ``heartbeat_at``, ``started_at``,
``created_at``, ``finished_at``, ``error``, ``worker_id`` and ``requeue_count`` (editor/API
jobs, video jobs):

* running, and the worker that claimed it is dead (no liveness beat for WORKER_DEAD_AFTER,
  ``work.liveness``) or no heartbeat for JOB_HEARTBEAT_TIMEOUT -> failed, with a message the
  editor sees. A job on a live worker keeps its heartbeat fresh however slow it is;
* queued, not picked up for JOB_QUEUE_TIMEOUT -> re-queued once (``Outcome.requeue``), then
  failed.

Every change is a conditional UPDATE on the row's status and heartbeat, so a job that beats,
starts or finishes meanwhile is left alone, and concurrent sweepers act once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from wagtail_gan.conf import gan_settings

from . import liveness
from .outcome import Outcome

logger = logging.getLogger(__name__)


def _stale(now):
    return now - timedelta(seconds=int(gan_settings.JOB_HEARTBEAT_TIMEOUT))


def lost_running_jobs(model, now=None):
    """Running jobs whose worker is gone: a dead ``WorkerProcess``, or (no worker recorded, or
    the job not in flight on its worker) no heartbeat for JOB_HEARTBEAT_TIMEOUT."""
    now = now or timezone.now()
    running = model.objects.filter(status=model.Status.RUNNING)
    stale = _stale(now)
    timed_out = running.filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None, started_at__lt=stale)
        | Q(heartbeat_at=None, started_at=None)
    )
    return timed_out | liveness.dead_claims(running, now)


def orphaned_jobs(model, now=None):
    """Running jobs whose worker is known to be gone, which their owner may cancel or discard
    at once. Rows without any timestamp are left to the sweeper."""
    now = now or timezone.now()
    running = model.objects.filter(status=model.Status.RUNNING)
    return running.filter(heartbeat_at__lt=_stale(now)) | liveness.dead_claims(running, now)


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


def fail_lost_jobs(model, now=None) -> int:
    """Fail the running jobs whose worker is gone (also called by live workers on every
    liveness beat, so a dead peer's jobs fail within about WORKER_DEAD_AFTER)."""
    now = now or timezone.now()
    failed = 0
    for job in lost_running_jobs(model, now).only("pk", "heartbeat_at", "worker_id"):
        if model.objects.filter(
            pk=job.pk, status=model.Status.RUNNING, heartbeat_at=job.heartbeat_at,
            worker_id=job.worker_id,
        ).update(status=model.Status.FAILED, finished_at=now, error=lost_message(job, now)):
            logger.warning("%s %s: worker %s lost; marked failed", model.__name__, job.pk,
                           job.worker_id or "(not recorded)")
            failed += 1
    return failed


def sweep_jobs(model, prefix: str, now=None, what: str = "job") -> Outcome:
    """One pass over ``model``: fail lost running jobs, re-queue (once) or fail queued ones
    nobody took. Counts are ``<prefix>_failed`` and ``<prefix>_requeued``; ``what`` names the
    job in the editor's message."""
    Status = model.Status
    now = now or timezone.now()
    counts = {f"{prefix}_failed": fail_lost_jobs(model, now), f"{prefix}_requeued": 0}
    requeue = []
    queue_timeout = int(gan_settings.JOB_QUEUE_TIMEOUT)
    waited = now - timedelta(seconds=queue_timeout)
    queued = model.objects.filter(status=Status.QUEUED).filter(
        Q(heartbeat_at__lt=waited) | Q(heartbeat_at=None, created_at__lt=waited))
    for job in queued.only("pk", "heartbeat_at", "requeue_count"):
        rows = model.objects.filter(pk=job.pk, status=Status.QUEUED,
                                    heartbeat_at=job.heartbeat_at,
                                    requeue_count=job.requeue_count)
        if job.requeue_count < 1:
            if rows.update(heartbeat_at=now, requeue_count=job.requeue_count + 1):
                logger.warning("%s %s: no worker picked it up; re-queued", model.__name__,
                               job.pk)
                requeue.append(job.pk)
                counts[f"{prefix}_requeued"] += 1
        elif rows.update(
            status=Status.FAILED, finished_at=now,
            error=(f"No worker picked this {what} up (waited over {queue_timeout} seconds, "
                   "re-queued once). Is the worker (manage.py run_huey) running?"),
        ):
            logger.warning("%s %s: never picked up; marked failed", model.__name__, job.pk)
            counts[f"{prefix}_failed"] += 1
    return Outcome("swept", requeue=requeue, counts=counts)
