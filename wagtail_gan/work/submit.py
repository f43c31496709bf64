"""Creating, enqueueing and cancelling jobs, once for every ``Job`` kind (web tier).

* ``fingerprint`` / ``replay``: an idempotency key stands for one normalised request. The key
  space is one across image and video jobs (``KEY_SPACE``): the same key again for the same
  request replays its job (``job.replayed``); for another request, or a job of another kind,
  it is refused (``IdempotencyConflict``).
* ``create``: the row and its task id in one transaction, with the per-user budget
  (``work.budget.admit``: every image and video job, whatever the way in) inside it (it
  counts and locks there, so only a job about to be created counts); a concurrent request
  that won the race on the key is replayed. The work is requested once
  the transaction commits (``enqueue``): a queue that cannot be reached fails the job with
  the reason instead of leaving it queued.
* ``cancel``: a queued job (its queue message is revoked; the worker also skips it), one
  waiting for its model (``work.waiting``), or a running one whose worker is gone
  (``cancel_orphan``).
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from wagtail_gan import queue
from wagtail_gan.exceptions import IdempotencyConflict, JobError
from wagtail_gan.models import GenerationJob, Job, VideoJob

from . import budget
from .sweep import orphaned_jobs

logger = logging.getLogger(__name__)

# The job kinds whose idempotency keys are one space (a key names one request of one kind).
KEY_SPACE = (GenerationJob, VideoJob)


def fingerprint(**request) -> str:
    """sha256 of a normalised request: what an idempotency key stands for."""
    norm = {k: (v.strip() if isinstance(v, str) else v) for k, v in request.items()}
    return hashlib.sha256(json.dumps(norm, sort_keys=True, default=str).encode()).hexdigest()


def replay(model: type[Job], user, idempotency_key: str, request_fingerprint: str):
    """The ``model`` job already submitted with this key (``job.replayed`` is True), or None.
    A key used for a different request, or by a job of another kind, raises
    ``IdempotencyConflict``."""
    if not idempotency_key:
        return None
    if len(idempotency_key) > 255:
        raise JobError("The idempotency key is longer than 255 characters.", "idempotency_key")
    for kind in KEY_SPACE:
        job = kind.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if job is None:
            continue
        if kind is not model or (job.request_fingerprint
                                 and job.request_fingerprint != request_fingerprint):
            raise IdempotencyConflict()
        job.replayed = True
        return job
    return None


def key_in_use(user, idempotency_key: str) -> bool:
    """Whether ``user`` already used this key for a job of any kind (``KEY_SPACE``)."""
    if not idempotency_key or user is None or not user.is_authenticated:
        return False
    return any(kind.objects.filter(user=user, idempotency_key=idempotency_key).exists()
               for kind in KEY_SPACE)


def create(model: type[Job], **fields):
    """Create a ``model`` job from ``fields`` and request its work once the transaction
    commits. With an ``idempotency_key`` a concurrent request just used for the same request,
    return that job instead. An image or video job over its user's budget raises
    ``budget.OverBudget`` (no row). The key is checked again inside the transaction with the
    user's row locked: the unique constraints are per table, and a concurrent request of the
    other kind with the same key must not slip in beside it."""
    key, user = fields.get("idempotency_key", ""), fields.get("user")
    try:
        with transaction.atomic():
            if key and user is not None and user.pk is not None:
                list(get_user_model().objects.select_for_update().filter(pk=user.pk).only("pk"))
                existing = replay(model, user, key, fields.get("request_fingerprint", ""))
                if existing is not None:
                    return existing
            if model in budget.COUNTED:
                budget.admit(fields.get("user"), fields.get("source"))
            job = model.objects.create(task_id=queue.new_task_id(), **fields)
    except IntegrityError:
        existing = replay(model, fields.get("user"), fields.get("idempotency_key", ""),
                          fields.get("request_fingerprint", ""))
        if existing is None:
            raise
        return existing
    job.replayed = False
    transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job: Job, task_id: str | None = None) -> None:
    """Put the job on the queue now (the task layer picks the priority of ``job.QUEUE``); a
    queue that cannot be reached fails the job instead of leaving it "queued" forever."""
    try:
        queue.request(job.QUEUE, job.pk, task_id=task_id or job.task_id or None,
                      on_commit=False)
    except Exception as exc:
        logger.exception("Could not enqueue %s %s", type(job).__name__, job.pk)
        type(job).objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            **type(job).ended(Job.Status.FAILED, f"Could not reach the job queue: {exc}"))


def cancel(job: Job) -> bool:
    """Cancel a queued job, one waiting for its model, or a running one whose worker is gone.
    False when it runs on a live worker or has ended. The caller checks who may."""
    model = type(job)
    updated = model.objects.filter(
        pk=job.pk, status__in=(Job.Status.QUEUED, Job.Status.WAITING)).update(
        **model.ended(Job.Status.CANCELLED, "Cancelled by the editor."))
    if updated and job.task_id:
        try:
            queue.revoke(job.task_id)
        except Exception:  # the worker also skips cancelled jobs
            logger.warning("Could not revoke task %s", job.task_id, exc_info=True)
    if not updated:
        updated = cancel_orphan(job)
    job.refresh_from_db()
    return bool(updated)


def cancel_orphan(job: Job) -> int:
    """Cancel ``job`` if it is running on a worker that is gone (``sweep.orphaned_jobs``); a
    late result of that worker is discarded (``work.runner`` only succeeds a running job)."""
    model = type(job)
    return orphaned_jobs(model).filter(pk=job.pk).update(**model.ended(
        Job.Status.CANCELLED, "Cancelled by the editor (the worker running it had stopped)."))
