"""Running a job on the worker, once for every ``Job`` kind: claim -> run -> finish with a
check-and-swap -> sort the failures.

* **claim**: a conditional UPDATE queued -> running that records the worker process
  (``liveness.worker_id``) and the heartbeat; a job that is not queued any more (cancelled,
  failed by the sweeper, a duplicate message) is skipped;
* **run**: the kind's ``run`` with the job in flight on this worker (``liveness.running``
  keeps its heartbeat fresh however slow the model is);
* **finish**: only a job still running succeeds (the kind's ``finish`` columns); one that was
  cancelled or given up meanwhile keeps its status (the user was told) and what the run
  made is discarded by the kind's ``discard``. A kind may also check before an expensive or
  visible step (``check_running``);
* **failures**: sorted by ``work.failures.classify``: what the user can fix is shown as is;
  anything else is re-queued once where the kind says ``retry_failures``, else shown as
  "Unexpected error (...)". The row says why (its ``ERROR_FIELD``); nothing is raised. Where
  the kind ``waits_for_models``, a job that failed only because its model is not installed
  waits for it instead (``work.waiting``).

A kind (a ``JobKind`` subclass in its package's worker module) declares only what differs.
Returns an ``Outcome``: ``tasks`` acts on it (re-queue).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils import timezone

from wagtail_gan.models import Job

from . import liveness, waiting
from .failures import classify, first_line
from .outcome import Outcome
from .sweep import requeue_once

logger = logging.getLogger(__name__)
Status = Job.Status


class LateResult(Exception):
    """The job stopped running while it ran (cancelled, or given up by the sweeper)."""


@dataclass
class Run:
    job: Any
    # What the run made so far (files, media items): discarded unless the job succeeds.
    made: list = field(default_factory=list)


class JobKind:
    model: ClassVar[type[Job]]
    # Exception types whose message the user sees as is (beside work.failures' own).
    expected: ClassVar[tuple] = ()
    # A failure classify() calls "retry" (a bug, a flaky disk): re-queued once, or shown.
    retry_failures: ClassVar[bool] = False
    # A missing model makes the job wait for it (status "waiting", ``work.waiting``), once.
    waits_for_models: ClassVar[bool] = False

    def claim_fields(self) -> dict:
        """Columns set when the job is claimed, beside status, times and worker."""
        return {}

    def load(self, job_id: int):
        return self.model.objects.get(pk=job_id)

    def run(self, run: Run) -> Any:
        """Do the work; put what others could see before the job succeeds in ``run.made``."""
        raise NotImplementedError

    def finish(self, run: Run, result) -> dict:
        """The columns of the succeeded row."""
        return {}

    def discard(self, run: Run) -> None:
        """Remove what the run made: the job failed, or ended while it ran."""

    def succeeded(self, run: Run) -> None:
        """After the job succeeded."""

    def failed_fields(self, run: Run, exc: BaseException) -> dict:
        """Columns of the failed row beside the message."""
        return {}


def running(model, job_id: int):
    return model.objects.filter(pk=job_id, status=Status.RUNNING)


def check_running(job) -> None:
    """Raise ``LateResult`` when ``job`` is not running any more."""
    if not running(type(job), job.pk).exists():
        raise LateResult()


def claim(kind: JobKind, job_id: int):
    """The job, now running on this worker; None when it is not queued any more."""
    now = timezone.now()
    model = kind.model
    claimed = model.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, worker_id=liveness.worker_id(),
        **{model.ERROR_FIELD: ""}, **kind.claim_fields())
    return kind.load(job_id) if claimed else None


def run_job(kind: JobKind, job_id: int) -> Outcome:
    name = f"{kind.model.__name__} {job_id}"
    job = claim(kind, job_id)
    if job is None:
        logger.info("%s is not queued any more; skipped", name)
        return Outcome("skipped")
    run = Run(job)
    try:
        with liveness.running(kind.model, job_id, "heartbeat_at"):
            result = kind.run(run)
        fields = kind.finish(run, result)
    except LateResult:
        kind.discard(run)
        logger.warning("%s was cancelled or given up while running; result discarded", name)
        return Outcome(Status.FAILED, detail="given up while running")
    except Exception as exc:
        kind.discard(run)
        return _failed(kind, run, exc, name)
    now = timezone.now()
    if not running(kind.model, job_id).update(
            status=Status.SUCCEEDED, finished_at=now, heartbeat_at=now, **fields):
        logger.warning("%s finished after it was cancelled or failed; result discarded", name)
        kind.discard(run)
        return Outcome(Status.FAILED, detail="finished after it was cancelled or failed")
    kind.succeeded(run)
    return Outcome(Status.SUCCEEDED)


def _failed(kind: JobKind, run: Run, exc: Exception, name: str) -> Outcome:
    failure = classify(exc, kind.expected)
    rows = running(kind.model, run.job.pk)
    model_id = waiting.waits(exc, run.job) if kind.waits_for_models else ""
    if model_id:
        outcome = waiting.wait(rows, model_id)
        if outcome.status != "gone":
            return outcome
    if failure.kind != "retry":
        message = failure.message
        logger.warning("%s failed: %s", name, message)
    elif kind.retry_failures and requeue_once(rows, run.job, timezone.now()):
        logger.warning("%s failed (%s); re-queued once", name, failure.message, exc_info=exc)
        return Outcome("retrying", requeue=[run.job.pk], detail=failure.message)
    else:  # never retried behind the user's back: they see it and may start it again
        message = f"Unexpected error ({type(exc).__name__}): {first_line(exc)}"
        logger.error("%s crashed", name, exc_info=exc)
    rows.update(**kind.model.ended(Status.FAILED, message), **kind.failed_fields(run, exc))
    return Outcome(Status.FAILED, detail=message)
