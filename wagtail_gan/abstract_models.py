"""The abstract models every job kind inherits (``Job``, ``SubmittedJob``), their states and
``user_field``. ``models.py`` declares the concrete models and re-exports these names; they
live apart only to keep each module short (no module imports ``models`` from here).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def user_field(related_name: str = "+"):
    """The user a row belongs to (kept as NULL when the user is deleted)."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name=related_name)


class JobStatus(models.TextChoices):
    """The states of every job kind (``Job``): queued -> running -> succeeded, failed or
    cancelled (``work.submit`` creates, enqueues and cancels; ``work.runner`` claims and ends;
    ``work.sweep`` recovers what a dead worker left). A kind that waits for models
    (``GenerationJob``) goes running -> waiting when only its model is missing, and back to
    queued once, when that model is installed (``work.waiting``)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    WAITING = "waiting", _("Waiting for a model")


class Job(models.Model):
    """The columns and state machine every job kind shares (editor/API jobs, video jobs, model
    tasks). A kind declares what differs: its own columns, and the constants below."""

    Status = JobStatus
    ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
    # Not over: the job runs again by itself (waiting for its model to be installed).
    UNFINISHED_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WAITING)
    QUEUE = ""  # the ``queue.request`` kind that runs it
    NOUN = "job"  # what messages call it ("No worker picked this job up")
    SWEEP_PREFIX = ""  # the sweepers' counts: "<prefix>_failed", "<prefix>_requeued"
    # A running job whose worker died: re-queued once (True), or failed at once (False: the
    # editor was waiting for it and starts it again).
    REQUEUE_LOST = False
    LOST_HINT = "Nothing was added to the library; start the job again."
    ERROR_FIELD = "error"  # the column that says why it failed (or was cancelled)

    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    user = user_field()
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life: set when a worker claims the job, refreshed while it runs (progress,
    # and the worker's liveness thread) and when the sweeper re-queues it. ``work.sweep``
    # recovers a running job whose worker (``worker_id``, a ``WorkerProcess``) is dead or
    # whose heartbeat is older than JOB_HEARTBEAT_TIMEOUT.
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    requeue_count = models.PositiveSmallIntegerField(default=0)
    worker_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @classmethod
    def ended(cls, status: str, message: str = "", now=None) -> dict:
        """The columns of a job that ends in ``status`` with ``message`` (an UPDATE's kwargs)."""
        return {"status": status, "finished_at": now or timezone.now(),
                cls.ERROR_FIELD: message[:4000]}


class SubmittedJob(Job):
    """A job an editor or API client submits (image and video jobs): a uuid for its URLs and an
    idempotency key, one key space across the kinds (``work.submit``)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Where the result goes, what it was asked with, how far it is, which model made it.
    collection = models.ForeignKey("wagtailcore.Collection", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    model_id = models.CharField(max_length=128, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    # sha256 of the normalised request (``work.submit.fingerprint``): the same key with a
    # different request is refused instead of silently replaying this job.
    request_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta(Job.Meta):
        abstract = True
