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


class JobStatus(models.TextChoices):
    """The states of an editor/API job and of a video job."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class JobStateMixin:
    """What a job row with ``ACTIVE_STATUSES``, ``started_at`` and ``finished_at`` can say."""

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


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


class GenerationJob(JobStateMixin, models.Model):
    class Kind(models.TextChoices):
        VARIANT = "variant", _("Variant of an image")
        GENERATE = "generate", _("New image from text")

    Status = JobStatus

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
    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        POLICY = "policy", _("Proposed on upload")

    # Where the request came from (the API's per-user throttle counts its own jobs; "policy":
    # proposed by IMPROVE_ON_UPLOAD, waiting for the uploader's review).
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ADMIN)
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


# -- video (wagtail_gan.video) ----------------------------------------------------------------


class VideoJob(JobStateMixin, models.Model):
    """A video made by wagtail-gan, and its provenance: 2x/4x frame rate or slow motion of a
    library video (``interpolate``), or a clip from library images (``stills``). Media items
    are referred to by id, not by foreign key: wagtailmedia is optional (the ``video``
    extra). The source's id and title are kept when it is deleted, like ``Variant``."""

    class Kind(models.TextChoices):
        INTERPOLATE = "interpolate", _("Interpolate a video")
        STILLS = "stills", _("Clip from stills")

    Status = JobStatus

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        COMMAND = "command", _("Command line")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ADMIN)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="gan_video_jobs",
    )
    collection = models.ForeignKey(
        "wagtailcore.Collection", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # interpolate: the library video (a wagtailmedia Media id) and its title
    source_media_id = models.IntegerField(null=True, blank=True, db_index=True)
    source_title = models.CharField(max_length=255, blank=True)
    # stills: [{"id": image id, "title": ...}] in clip order
    source_images = models.JSONField(default=list, blank=True)
    # factor, mode (interpolate); seconds, fps, hold (stills); engine; what the run added
    params = models.JSONField(default=dict, blank=True)
    engine = models.CharField(max_length=16, default="model")
    progress = models.PositiveSmallIntegerField(default=0)
    frames_done = models.PositiveIntegerField(default=0)
    frames_total = models.PositiveIntegerField(default=0)
    result_media_id = models.IntegerField(null=True, blank=True, db_index=True)
    # what the output is: frames, fps, duration, size, audio
    result = models.JSONField(default=dict, blank=True)
    model_id = models.CharField(max_length=128, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    # "signed" (C2PA manifest in the MP4), "unsigned" (signing not configured) or the reason
    c2pa = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Liveness and recovery as GenerationJob's (``video.sweeper``); idempotency as the API's.
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    requeue_count = models.PositiveSmallIntegerField(default=0)
    worker_id = models.CharField(max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("AI video job")
        constraints = [models.UniqueConstraint(
            fields=["user", "idempotency_key"], condition=~models.Q(idempotency_key=""),
            name="wagtail_gan_video_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"


    @property
    def label(self) -> str:
        p = self.params or {}
        if self.kind == self.Kind.INTERPOLATE:
            what = "slow motion" if p.get("mode") == "slowmo" else "frame rate"
            return f"{p.get('factor', '?')}x {what}"
        return f"clip of {len(self.source_images)} images, {p.get('seconds', '?')} s"


class ModelTask(models.Model):
    """One install, verify or remove of a registry model, asked for on the admin's Models page
    and run on the worker (downloads happen where the GPU is). The page follows ``done_bytes``
    / ``total_bytes`` (the download's progress) and shows ``message``: the outcome, or the
    exact error (hash mismatch, no network, unpinned Hugging Face revision)."""

    class Action(models.TextChoices):
        INSTALL = "install", _("Install")
        VERIFY = "verify", _("Verify")
        REMOVE = "remove", _("Remove")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    model_id = models.CharField(max_length=128, db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    done_bytes = models.BigIntegerField(default=0)
    total_bytes = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    # "hash", "network", "unpinned" or "" (see models_admin.worker.error_kind)
    error_kind = models.CharField(max_length=16, blank=True)
    # A Hugging Face commit entered on the page for an entry the registry does not pin.
    revision = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("model task")
        permissions = [("manage_models", _("Can install, verify and remove AI models"))]

    def __str__(self) -> str:
        return f"{self.action} {self.model_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if self.total_bytes:
            return max(0, min(100, int(self.done_bytes * 100 / self.total_bytes)))
        return None
