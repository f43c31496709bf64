"""Database state of wagtail-gan.

* ``RenditionJob`` - one row per ML rendition wanted, keyed by (image, file_hash, filter_spec,
  focal_point_key). Inserting it is the deduplication point (a unique constraint, inserted in
  a savepoint) and it doubles as the "pending" marker and the status shown to admins.
* ``Job`` (abstract) - the columns and state machine of every other job kind; ``work/`` runs
  its lifecycle once. ``SubmittedJob`` adds a uuid and idempotency for editor/API requests:
  ``GenerationJob`` (variant of an image, or text-to-image) and ``VideoJob``. ``ModelTask``:
  an install, verify or remove of a model from the admin's Models page.
* ``WorkerProcess`` - a liveness record per worker process (``work.liveness``): jobs record the
  worker that claimed them, so a dead worker is noticed within ``WORKER_DEAD_AFTER`` seconds.
* ``Variant`` - provenance of an image that wagtail-gan made: source, operation, model, weights
  hash, parameters, seed, instruction. It survives the deletion of its source.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model_string

# The abstract bases live in abstract_models (re-exported: ``from wagtail_gan.models import Job``).
from .abstract_models import Job, JobStatus, SubmittedJob, user_field

__all__ = ["GenerationJob", "Job", "JobStatus", "ModelPin", "ModelTask", "RenditionJob",
           "SubmittedJob", "Variant", "VideoJob", "WorkerProcess", "user_field"]


class RenditionJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        SKIPPED = "skipped", _("Skipped (not sent to a model)")
        WAITING = "waiting", _("Waiting for a model")

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
    # The model (registry id) whose absence stopped it: status "waiting" until it is installed,
    # then pending again, once (``work.waiting``); kept afterwards (a second miss fails).
    waiting_for = models.CharField(max_length=128, blank=True, db_index=True)

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


class GenerationJob(SubmittedJob):
    QUEUE = "generation"
    SWEEP_PREFIX = "jobs"

    class Kind(models.TextChoices):
        VARIANT = "variant", _("Variant of an image")
        GENERATE = "generate", _("New image from text")

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        POLICY = "policy", _("Proposed on upload")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.VARIANT)
    user = user_field("gan_jobs")
    source_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="gan_jobs",
    )
    # Where the request came from (the API's per-user throttle counts its own jobs; "policy":
    # proposed by IMPROVE_ON_UPLOAD, waiting for the uploader's review).
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ADMIN)
    # Canonical operation spec ("upscale-4x", "stylize-3", "edit", "generate").
    operation = models.CharField(max_length=255)
    instruction = models.TextField(blank=True)
    interpretation = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    count = models.PositiveSmallIntegerField(default=1)
    # Outputs written by the worker but not yet kept: [{"name", "width", "height"}] in storage.
    outputs = models.JSONField(default=list, blank=True)
    result_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # As ``RenditionJob.waiting_for``: the model a "waiting" job waits for (``work.waiting``).
    waiting_for = models.CharField(max_length=128, blank=True, db_index=True)

    class Meta(SubmittedJob.Meta):
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
    user = user_field()
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


class VideoJob(SubmittedJob):
    """A video made by wagtail-gan, and its provenance: 2x/4x frame rate or slow motion of a
    library video (``interpolate``), or a clip from library images (``stills``). Media items
    are referred to by id, not by foreign key: wagtailmedia is optional (the ``video``
    extra). The source's id and title are kept when it is deleted, like ``Variant``."""

    QUEUE = "video"
    NOUN = "video job"
    SWEEP_PREFIX = "video"

    class Kind(models.TextChoices):
        INTERPOLATE = "interpolate", _("Interpolate a video")
        STILLS = "stills", _("Clip from stills")

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        COMMAND = "command", _("Command line")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ADMIN)
    user = user_field("gan_video_jobs")
    # interpolate: the library video (a wagtailmedia Media id) and its title
    source_media_id = models.IntegerField(null=True, blank=True, db_index=True)
    source_title = models.CharField(max_length=255, blank=True)
    # stills: [{"id": image id, "title": ...}] in clip order
    source_images = models.JSONField(default=list, blank=True)
    # factor, mode (interpolate); seconds, fps, hold (stills); engine; what the run added
    engine = models.CharField(max_length=16, default="model")
    frames_done = models.PositiveIntegerField(default=0)
    frames_total = models.PositiveIntegerField(default=0)
    result_media_id = models.IntegerField(null=True, blank=True, db_index=True)
    # what the output is: frames, fps, duration, size, audio
    result = models.JSONField(default=dict, blank=True)
    # "signed" (C2PA manifest in the MP4), "unsigned" (signing not configured) or the reason
    c2pa = models.CharField(max_length=255, blank=True)

    class Meta(SubmittedJob.Meta):
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


class ModelTask(Job):
    """One install, verify or remove of a registry model, asked for on the admin's Models page
    and run on the worker (downloads happen where the GPU is). The page follows ``done_bytes``
    / ``total_bytes`` (bytes downloaded, or the steps of a conversion: ``progress_unit``) and
    shows ``message``: the outcome, or the exact error (hash mismatch, no network, unpinned
    Hugging Face revision). A task whose worker died is re-queued once, then failed."""

    QUEUE = "install"
    NOUN = "model task"
    SWEEP_PREFIX = "models"
    REQUEUE_LOST = True
    LOST_HINT = "It was re-queued once already; start it again from the Models page."
    ERROR_FIELD = "message"

    class Action(models.TextChoices):
        INSTALL = "install", _("Install")
        VERIFY = "verify", _("Verify")
        REMOVE = "remove", _("Remove")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    model_id = models.CharField(max_length=128, db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    error = None  # ``message`` says what happened, also when it failed
    done_bytes = models.BigIntegerField(default=0)
    total_bytes = models.BigIntegerField(null=True, blank=True)
    # What done_bytes / total_bytes count: "bytes" (downloads) or "steps" (conversions).
    progress_unit = models.CharField(max_length=8, default="bytes")
    message = models.TextField(blank=True)
    # "hash", "network", "unpinned" or "" (see models_admin.worker.error_kind)
    error_kind = models.CharField(max_length=16, blank=True)
    # A Hugging Face commit entered on the page for an entry the registry does not pin.
    revision = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(Job.Meta):
        verbose_name = _("model task")
        permissions = [("manage_models", _("Can install, verify and remove AI models"))]

    def __str__(self) -> str:
        return f"{self.action} {self.model_id} ({self.status})"

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if self.total_bytes:
            return max(0, min(100, int(self.done_bytes * 100 / self.total_bytes)))
        return None

    def eta_seconds(self, now=None) -> int | None:
        """Seconds left at the rate so far (bytes or steps since the worker took it)."""
        if self.status != self.Status.RUNNING or not (self.started_at and self.total_bytes):
            return None
        elapsed = ((now or timezone.now()) - self.started_at).total_seconds()
        if self.done_bytes <= 0 or elapsed <= 0:
            return None
        left = max(0, self.total_bytes - self.done_bytes)
        return round(left * elapsed / self.done_bytes)


class ModelPin(models.Model):
    """A Hugging Face revision entered on the Models page (or ``PUT models/{id}/pin/``) for a
    registry entry that pins none: kept until removed, used by installs, verifications and
    workers (``registry.pinned``). A revision in ``WAGTAIL_GAN["MODELS"]`` wins over it."""

    model_id = models.CharField(max_length=128, unique=True)
    revision = models.CharField(max_length=40)
    user = user_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("model pin")

    def __str__(self) -> str:
        return f"{self.model_id}@{self.revision[:12]}"
