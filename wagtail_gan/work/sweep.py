"""Recovering the jobs a dead worker left behind, once for every ``Job`` kind (editor/API jobs,
video jobs, model tasks; ``tasks.sweep_renditions`` every minute and ``tasks.recover_dead_workers``
on every live worker's liveness beat run it for each):

* running, and the worker that claimed it is dead (no liveness beat for WORKER_DEAD_AFTER,
  ``work.liveness``) or no heartbeat for JOB_HEARTBEAT_TIMEOUT -> failed, with a message the
  user sees; a kind with ``REQUEUE_LOST`` (model tasks) is re-queued once first. A job on a
  live worker keeps its heartbeat fresh however slow it is;
* queued, not picked up for JOB_QUEUE_TIMEOUT -> re-queued once (``Outcome.requeue``), then
  failed.

Every change is a conditional UPDATE on the row's status and heartbeat, so a job that beats,
starts or finishes meanwhile is left alone, and concurrent sweepers act once. Counts are
``<model.SWEEP_PREFIX>_failed`` and ``_requeued``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import Job

from . import liveness
from .outcome import Outcome

logger = logging.getLogger(__name__)
Status = Job.Status


def _stale(now):
    return now - timedelta(seconds=int(gan_settings.JOB_HEARTBEAT_TIMEOUT))


def lost_running_jobs(model, now=None):
    """Running jobs whose worker is gone: a dead ``WorkerProcess``, or (no worker recorded, or
    the job not in flight on its worker) no heartbeat for JOB_HEARTBEAT_TIMEOUT."""
    now = now or timezone.now()
    running = model.objects.filter(status=Status.RUNNING)
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
    running = model.objects.filter(status=Status.RUNNING)
    return running.filter(heartbeat_at__lt=_stale(now)) | liveness.dead_claims(running, now)


def lost_message(job, now=None) -> str:
    if job.worker_id and liveness.is_dead(job.worker_id, now):
        host = job.worker_id.rsplit(":", 1)[0]
        why = (f"worker {host}: no sign of life for over {int(gan_settings.WORKER_DEAD_AFTER)} "
               "seconds; it was stopped, killed or ran out of memory")
    else:
        why = (f"no sign of life for over {int(gan_settings.JOB_HEARTBEAT_TIMEOUT)} seconds: "
               "it was stopped, killed or ran out of memory")
    return f"The worker stopped while running this {job.NOUN} ({why}). {job.LOST_HINT}"


def requeue_once(rows, job, now) -> bool:
    """Put ``job`` (``rows``: its row, filtered on the state it must still be in) back on the
    queue if it was never re-queued; True when it was. Its queue clock restarts."""
    return job.requeue_count < 1 and bool(rows.update(
        status=Status.QUEUED, heartbeat_at=now, worker_id="",
        requeue_count=job.requeue_count + 1))


def recover_lost_jobs(model, now=None) -> Outcome:
    """Running jobs whose worker is gone: re-queued once (``model.REQUEUE_LOST``) or failed.
    Live workers call it on every liveness beat, so a dead peer's jobs are recovered within
    about WORKER_DEAD_AFTER."""
    now = now or timezone.now()
    prefix = model.SWEEP_PREFIX
    outcome = Outcome("recovered", counts={f"{prefix}_failed": 0, f"{prefix}_requeued": 0})
    fields = ("pk", "heartbeat_at", "worker_id", "requeue_count")
    for job in lost_running_jobs(model, now).only(*fields):
        rows = model.objects.filter(pk=job.pk, status=Status.RUNNING,
                                    heartbeat_at=job.heartbeat_at, worker_id=job.worker_id)
        if model.REQUEUE_LOST and requeue_once(rows, job, now):
            logger.warning("%s %s: worker %s lost; re-queued", model.__name__, job.pk,
                           job.worker_id or "(not recorded)")
            outcome.requeue.append(job.pk)
            outcome.counts[f"{prefix}_requeued"] += 1
        elif rows.update(**model.ended(Status.FAILED, lost_message(job, now), now)):
            logger.warning("%s %s: worker %s lost; marked failed", model.__name__, job.pk,
                           job.worker_id or "(not recorded)")
            outcome.counts[f"{prefix}_failed"] += 1
    return outcome


def sweep_jobs(model, now=None) -> Outcome:
    """One pass over ``model``: recover lost running jobs, re-queue (once) or fail queued ones
    nobody took. ``Outcome.requeue`` lists the ids the task enqueues again."""
    now = now or timezone.now()
    outcome = recover_lost_jobs(model, now)
    prefix = model.SWEEP_PREFIX
    queue_timeout = int(gan_settings.JOB_QUEUE_TIMEOUT)
    waited = now - timedelta(seconds=queue_timeout)
    queued = model.objects.filter(status=Status.QUEUED).filter(
        Q(heartbeat_at__lt=waited) | Q(heartbeat_at=None, created_at__lt=waited))
    for job in queued.only("pk", "heartbeat_at", "requeue_count"):
        rows = model.objects.filter(pk=job.pk, status=Status.QUEUED,
                                    heartbeat_at=job.heartbeat_at,
                                    requeue_count=job.requeue_count)
        if requeue_once(rows, job, now):
            logger.warning("%s %s: no worker picked it up; re-queued", model.__name__, job.pk)
            outcome.requeue.append(job.pk)
            outcome.counts[f"{prefix}_requeued"] += 1
        elif job.requeue_count and rows.update(**model.ended(Status.FAILED, (
            f"No worker picked this {model.NOUN} up (waited over {queue_timeout} seconds, "
            "re-queued once). Is the worker (manage.py run_huey) running?"), now)):
            logger.warning("%s %s: never picked up; marked failed", model.__name__, job.pk)
            outcome.counts[f"{prefix}_failed"] += 1
    outcome.status = "swept"
    return outcome
