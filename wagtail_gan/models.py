"""Database state of wagtail-gan.

* ``RenditionJob`` - one row per ML rendition wanted, keyed by (image, file_hash, filter_spec,
  focal_point_key). Inserting it is the deduplication point (a unique constraint, inserted in
  a savepoint) and it doubles as the "pending" marker and the status shown to admins.
* ``GenerationJob`` - an editor or API request (variant of an image, or text-to-image), with
  status, progress, error and timings.
* ``WorkerProcess`` - a liveness record per worker process (``work.liveness``): jobs record the
  worker that claimed them, so a dead worker is noticed within ``WORKER_DEAD_AFTER`` seconds.
* ``Variant`` - provenance of an image that wagtail-gan made: source, operation, model, weights
  hash, parameters, seed, instruction. It survives the deletion of its source.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model_string


class RenditionJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        SKIPPED = "skipped", _("Skipped (not sent to a model)")

    image = models.ForeignKey(
        get_image_model_string(), on_delete=models.CASCADE, related_name="gan_rendition_jobs"
    )
    file_hash = models.CharField(max_length=40, blank=True)
    filter_spec = models.CharField(max_length=255, db_index=True)
    focal_point_key = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    model_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text=_("Model run time in seconds"))
    # Swap bookkeeping (wagtail_gan.renditions): the rendition upgraded, the fallback file it
    # replaced, the ML file now served, and files deleted once ``delete_after`` has passed.
    rendition_id = models.BigIntegerField(null=True, blank=True)
    fallback_name = models.CharField(max_length=255, blank=True, db_index=True)
    result_name = models.CharField(max_length=255, blank=True, db_index=True)
    superseded_files = models.JSONField(default=list, blank=True)
    delete_after = models.DateTimeField(null=True, blank=True, db_index=True)
    # The worker process (``WorkerProcess.id``) that claimed the job; "" when it ran outside a
    # consumer with a liveness record. The sweeper re-queues a running job whose worker died.
    worker_id = models.CharField(max_length=64, blank=True, default="")
    # The name Wagtail gives this rendition before the storage adds a ``_XXXXXXX`` suffix to a
    # taken name (``compat.canonical_name``): maps the files of requests that lost Wagtail's
    # insert race (served to their visitors, never recorded) to this job.
    canonical_name = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        verbose_name = _("ML rendition job")
        constraints = [
            models.UniqueConstraint(
                fields=["image", "file_hash", "filter_spec", "focal_point_key"],
                name="wagtail_gan_rendition_job_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filter_spec} of image {self.image_id} ({self.status})"


class GenerationJob(models.Model):
    class Kind(models.TextChoices):
        VARIANT = "variant", _("Variant of an image")
        GENERATE = "generate", _("New image from text")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.VARIANT)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="gan_jobs",
    )
    source_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="gan_jobs",
    )
    collection = models.ForeignKey(
        "wagtailcore.Collection", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Canonical operation spec ("upscale-4x", "stylize-3", "edit", "generate").
    operation = models.CharField(max_length=255)
    instruction = models.TextField(blank=True)
    interpretation = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    count = models.PositiveSmallIntegerField(default=1)
    # Outputs written by the worker but not yet kept: [{"name", "width", "height"}] in storage.
    outputs = models.JSONField(default=list, blank=True)
    result_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    model_id = models.CharField(max_length=128, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    # sha256 of the normalised request (jobs.submit): the same Idempotency-Key with a
    # different request is refused instead of silently replaying this job.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life: set when the worker claims the job and refreshed while the model runs
    # (and when the sweeper re-queues a job whose queue message was lost). The sweeper
    # (``jobs.sweep_generation_jobs``) fails running jobs whose heartbeat is older than
    # JOB_HEARTBEAT_TIMEOUT: their worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    requeue_count = models.PositiveSmallIntegerField(default=0)
    # The worker process (``WorkerProcess.id``) that claimed the job ("" when none recorded).
    worker_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("generation job")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="wagtail_gan_job_idempotency_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class WorkerProcess(models.Model):
    """A ``run_huey`` process that runs jobs, and when it last showed a sign of life. Its
    liveness thread (``work.liveness``) refreshes ``last_seen`` every
    ``WORKER_HEARTBEAT_SECONDS``; a worker not seen for ``WORKER_DEAD_AFTER`` is dead."""

    id = models.CharField(primary_key=True, max_length=64)  # "<host>:<pid>:<random>"
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker process")

    def __str__(self) -> str:
        return f"{self.hostname} pid {self.pid}"


class Variant(models.Model):
    """Provenance of an image produced by wagtail-gan."""

    image = models.OneToOneField(
        get_image_model_string(), on_delete=models.CASCADE, related_name="gan_variant"
    )
    source_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="gan_variants",
    )
    # Kept when the source is deleted so the record still says what it came from.
    source_image_pk = models.IntegerField(null=True, blank=True)
    source_title = models.CharField(max_length=255, blank=True)
    job = models.ForeignKey(
        GenerationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="variants"
    )
    operation = models.CharField(max_length=255)
    model_id = models.CharField(max_length=128, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    instruction = models.TextField(blank=True)
    interpretation = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    duration = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("AI variant")

    def __str__(self) -> str:
        return f"{self.operation} of {self.source_title or 'text prompt'}"

    def save(self, *args, **kwargs):
        if self.source_image_id and not self.source_image_pk:
            self.source_image_pk = self.source_image_id
        if self.source_image_id and not self.source_title:
            self.source_title = self.source_image.title
        super().save(*args, **kwargs)
