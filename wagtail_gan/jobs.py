"""Job service layer shared by the admin and the REST API.

Web side: ``submit_variant_job`` / ``submit_generate_job`` validate input, check permissions
(no job row on refusal), create a ``GenerationJob`` and enqueue it with the interactive
priority; ``cancel_job``, ``keep_job``, ``discard_job`` and ``job_status`` act on it.

Worker side: ``run_generation_job`` (called by the Huey tasks) claims the job, runs the model
through ``wagtail_gan.models_zoo.engine`` (imported lazily: this module stays torch-free),
reports progress and writes the outputs under ``gan_pending/`` in the image storage. Nothing
enters the image library until ``keep_job`` (or ``WAGTAIL_GAN["AUTO_KEEP"]``). The source image
is only ever read.
"""

from __future__ import annotations

import io
import logging
import os
import time
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Collection
from wagtail.utils.file import hash_filelike

from .conf import gan_settings
from .instructions import InstructionError, clean_instruction, interpret
from .models import GenerationJob, Variant
from .permissions import (
    check_can_add_to,
    check_can_generate_from,
    check_manage,
    image_permission_policy,
    is_protected,
)
from .specs import InvalidSpec, parse_spec

logger = logging.getLogger(__name__)

PENDING_DIR = "gan_pending"
MAX_SEED = 2**63 - 1
MAX_COUNT = 4
AI_TAG = "ai-generated"


class JobError(ValueError):
    """A user-facing validation error; ``field`` names the offending input (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --------------------------------------------------------------------------- validation

def check_raster(image, field: str = "image") -> None:
    """JobError for an SVG: the models work on pixels (Wagtail keeps SVGs as vector files)."""
    if image.is_svg():
        raise JobError(
            f"“{image.title}” is an SVG (vector) image: the models only work on raster images "
            "(JPEG, PNG, WebP, GIF, AVIF).", field
        )



def _clean_seed(seed) -> int | None:
    if seed is None or seed == "":
        return None
    try:
        value = int(seed)
    except (TypeError, ValueError):
        raise JobError("The seed must be a whole number.", "seed") from None
    if not 0 <= value <= MAX_SEED:
        raise JobError(f"The seed must be between 0 and {MAX_SEED}.", "seed")
    return value


def _clean_strength(strength) -> float | None:
    if strength is None or strength == "":
        return None
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise JobError("The strength must be a number between 0 and 1.", "strength") from None
    if not 0.0 < value <= 1.0:
        raise JobError("The strength must be greater than 0 and at most 1.", "strength")
    return value


def _enabled(op: str, field: str = "operation") -> None:
    if op not in (gan_settings.ENABLED_OPERATIONS or []):
        raise JobError(f"The operation “{op}” is not enabled on this site.", field)


def _lookup_image_by_title(user):
    policy = image_permission_policy()

    def lookup(title: str):
        qs = policy.instances_user_has_any_permission_for(user, ["choose", "change"])
        match = qs.filter(title__iexact=title.strip()).order_by("pk").first()
        return (match.pk, match.title) if match else None

    return lookup


def _resolve_style_image(user, image_id: int):
    Image = get_image_model()
    try:
        style = Image.objects.get(pk=image_id)
    except Image.DoesNotExist:
        raise JobError(f"There is no image with id {image_id} to take the style from.",
                       "operation") from None
    policy = image_permission_policy()
    if not (policy.user_has_any_permission_for_instance(user, ["choose", "change"], style)):
        raise PermissionDenied("You may not use that image as a style.")
    if is_protected(style):  # a style reference is a source too
        raise JobError(
            f"Images in the collection “{style.collection}” may not be used as sources, "
            "style images included.", "operation"
        )
    check_raster(style, "operation")
    return style


def plan_variant(*, user, operation: str | None = None, instruction: str | None = None):
    """Resolve what a variant job will run: (OperationSpec, instruction, interpretation dict).

    ``instruction`` alone is interpreted; ``operation`` (a spec) wins over the interpretation
    (the editor changed it). ``edit`` needs an instruction (the prompt).
    """
    instruction = (instruction or "").strip()
    interpretation: dict[str, Any] = {}
    if instruction:
        try:
            instruction = clean_instruction(instruction)
            plan = interpret(instruction, image_lookup=_lookup_image_by_title(user))
        except InstructionError as exc:
            raise JobError(str(exc), "instruction") from None
        interpretation = plan.as_dict()
        if not operation:
            operation = plan.spec
    if not operation:
        raise JobError("Choose an operation or describe the edit you want.", "operation")
    try:
        spec = parse_spec(operation)
    except InvalidSpec as exc:
        raise JobError(str(exc), "operation") from None
    if spec.operation == "generate":
        raise JobError("Text-to-image makes new images; use “Generate new image”.", "operation")
    if spec.operation == "edit" and not instruction:
        raise JobError("A free-form edit needs an instruction, e.g. “make the sky pink”.",
                       "instruction")
    _enabled(spec.operation)
    if interpretation and interpretation.get("spec") != spec.text:
        interpretation["overridden_by"] = spec.text
    return spec, instruction, interpretation


# --------------------------------------------------------------------------- submission

def _existing(user, idempotency_key: str):
    if not idempotency_key:
        return None
    return GenerationJob.objects.filter(user=user, idempotency_key=idempotency_key).first()


def _create_and_enqueue(user, idempotency_key: str, **fields) -> GenerationJob:
    if len(idempotency_key) > 255:
        raise JobError("The idempotency key is longer than 255 characters.", "idempotency_key")
    try:
        with transaction.atomic():
            job = GenerationJob.objects.create(user=user, idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        existing = _existing(user, idempotency_key)
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: enqueue_job(job.pk, instance=job))
    return job


def enqueue_job(job_id: int, instance: GenerationJob | None = None) -> None:
    """Put the job on the Huey queue with the interactive priority and remember the task id."""
    from . import tasks

    job = instance or GenerationJob.objects.filter(pk=job_id).only("kind").first()
    if job is None:
        return
    task = tasks.generate_image if job.kind == GenerationJob.Kind.GENERATE else tasks.generate_variant
    try:
        result = task(job_id, priority=tasks.priority_for("interactive"))
    except Exception as exc:  # queue unreachable: the job must not sit "queued" forever
        logger.exception("Could not enqueue generation job %s", job_id)
        GenerationJob.objects.filter(pk=job_id, status=GenerationJob.Status.QUEUED).update(
            status=GenerationJob.Status.FAILED, error=f"Could not reach the job queue: {exc}",
            finished_at=timezone.now(),
        )
        return
    task_id = getattr(result, "id", "") or ""
    if task_id:
        GenerationJob.objects.filter(pk=job_id).update(task_id=str(task_id))
        if instance is not None:
            instance.task_id = str(task_id)


def submit_variant_job(
    *, user, image, operation: str | None = None, instruction: str | None = None,
    seed: int | None = None, strength: float | None = None, collection=None,
    idempotency_key: str = "",
) -> GenerationJob:
    """Validate, check permissions, create the job and enqueue it. Raises JobError (bad input)
    or PermissionDenied (no job row is created in either case)."""
    if image is None:
        raise JobError("Choose a source image.", "image")
    check_can_generate_from(user, image)
    existing = _existing(user, idempotency_key)
    if existing is not None:
        return existing
    if is_protected(image):
        raise JobError(
            f"Images in the collection “{image.collection}” may not be used as sources.", "image"
        )
    check_raster(image)
    collection = collection or image.collection
    check_can_add_to(user, collection)
    spec, instruction, interpretation = plan_variant(
        user=user, operation=operation, instruction=instruction
    )
    if "style_image" in spec.params:
        _resolve_style_image(user, spec.params["style_image"])
    seed = _clean_seed(seed)
    strength = _clean_strength(strength)
    params = dict(spec.params)
    if strength is not None:
        if spec.operation == "winterize":
            # winterize's own strength is the spec's 1..100
            pct = max(1, round(strength * 100))
            spec = parse_spec("winterize" if pct == 100 else f"winterize-{pct}")
            params = dict(spec.params)
        else:
            params["strength"] = strength
    if spec.operation == "edit":
        params["prompt"] = instruction
    return _create_and_enqueue(
        user, idempotency_key,
        kind=GenerationJob.Kind.VARIANT, source_image=image, collection=collection,
        operation=spec.text, instruction=instruction, interpretation=interpretation,
        params=params, seed=seed, count=1,
    )


def submit_generate_job(
    *, user, prompt: str, collection, seed: int | None = None, count: int = 1,
    idempotency_key: str = "",
) -> GenerationJob:
    """Text-to-image: 1..4 candidates for ``prompt`` into ``collection``."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("You must be logged in.")
    if collection is None:
        collection = Collection.get_first_root_node()
    check_can_add_to(user, collection)
    existing = _existing(user, idempotency_key)
    if existing is not None:
        return existing
    _enabled("generate", "prompt")
    try:
        prompt = clean_instruction(prompt)
    except InstructionError as exc:
        msg = str(exc).replace("Describe the edit you want, e.g. “add snow” or “upscale 4x”.",
                               "Describe the image you want.")
        raise JobError(msg.replace("instruction", "prompt"), "prompt") from None
    seed = _clean_seed(seed)
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise JobError("The number of candidates must be a whole number.", "count") from None
    if not 1 <= count <= MAX_COUNT:
        raise JobError(f"Ask for 1 to {MAX_COUNT} candidates.", "count")
    return _create_and_enqueue(
        user, idempotency_key,
        kind=GenerationJob.Kind.GENERATE, source_image=None, collection=collection,
        operation="generate", instruction=prompt, params={"prompt": prompt}, seed=seed,
        count=count,
    )


# --------------------------------------------------------------------------- actions

def _storage():
    return get_image_model()._meta.get_field("file").storage


def _delete_outputs(names) -> None:
    storage = _storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # pragma: no cover - best effort; the row no longer refers to it
            logger.warning("Could not delete pending output %s", name, exc_info=True)


def cancel_job(job, user) -> bool:
    """Cancel a queued job (revokes its Huey task). Returns False when it already started."""
    check_manage(user, job)
    updated = GenerationJob.objects.filter(pk=job.pk, status=GenerationJob.Status.QUEUED).update(
        status=GenerationJob.Status.CANCELLED, finished_at=timezone.now(),
        error="Cancelled by the editor.",
    )
    job.refresh_from_db()
    if not updated:
        return False
    if job.task_id:
        try:
            from huey.contrib.djhuey import HUEY

            HUEY.revoke_by_id(job.task_id)
        except Exception:  # the worker also skips cancelled jobs
            logger.warning("Could not revoke task %s", job.task_id, exc_info=True)
    return True


def _result_title(job) -> str:
    if job.source_image_id and job.source_image:
        title = f"{job.source_image.title} — {job.operation}"
    else:
        prompt = " ".join(job.instruction.split())
        title = prompt if len(prompt) <= 200 else prompt[:199] + "…"
    return title[:255]


@transaction.atomic
def keep_job(job, user, index: int = 0):
    """Save output ``index`` as a new library image with its provenance; returns the Image.

    Keeping again returns the image already kept. The other candidates are removed.
    """
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if user is not None:
        check_manage(user, job)
    Image = get_image_model()
    if job.result_image_id:
        return job.result_image
    if job.status != GenerationJob.Status.SUCCEEDED or not job.outputs:
        raise JobError("There is no finished output to keep.", None)
    try:
        index = int(index)
        output = job.outputs[index]
    except (TypeError, ValueError, IndexError):
        raise JobError(f"Choose an output between 0 and {len(job.outputs) - 1}.", "index") from None
    source = job.source_image
    collection = job.collection or (source.collection if source else None)
    if collection is None:
        collection = Collection.get_first_root_node()
    if user is not None:
        check_can_add_to(user, collection)

    storage = _storage()
    name = output["name"]
    ext = os.path.splitext(name)[1] or ".jpg"
    base = (source.title if source else "generated")[:40]
    filename = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in base).strip("-") or "image"
    filename = f"{filename}-{job.operation}{ext}"[:90]
    with storage.open(name, "rb") as fh:
        data = fh.read()
    image = Image(
        title=_result_title(job), collection=collection,
        uploaded_by_user=user if user is not None else job.user,
    )
    image.file = ImageFile(ContentFile(data), name=filename)
    image.file_size = len(data)
    image.file_hash = hash_filelike(io.BytesIO(data))  # saved with the image, not re-read
    if source is not None and source.focal_point_x is not None and source.width and source.height:
        sx = output["width"] / source.width
        sy = output["height"] / source.height
        image.focal_point_x = round(source.focal_point_x * sx)
        image.focal_point_y = round(source.focal_point_y * sy)
        image.focal_point_width = max(1, round((source.focal_point_width or 1) * sx))
        image.focal_point_height = max(1, round((source.focal_point_height or 1) * sy))
    from .provenance import copy_rights

    copy_rights(source, image)  # copyright/credit/licence fields, where the image model has them
    image.save()
    op_name = job.operation.split("-")[0]
    image.tags.add(AI_TAG, op_name)

    Variant.objects.create(
        image=image, source_image=source, job=job, operation=job.operation,
        model_id=job.model_id, model_sha256=job.model_sha256,
        params={**job.params, **({"candidate": index} if job.count > 1 else {})},
        seed=output.get("seed", job.seed), instruction=job.instruction,
        interpretation=job.interpretation, user=job.user, duration=job.duration,
    )
    names = [o["name"] for o in job.outputs]
    job.result_image = image
    job.outputs = []
    job.save(update_fields=["result_image", "outputs"])
    transaction.on_commit(lambda: _delete_outputs(names))
    return image


def discard_job(job, user) -> None:
    """Drop the pending outputs (or cancel the job while queued). Nothing enters the library."""
    check_manage(user, job)
    job.refresh_from_db()
    if job.status == GenerationJob.Status.QUEUED:
        cancel_job(job, user)
        job.refresh_from_db()
        if job.status == GenerationJob.Status.CANCELLED:
            return
    if job.status == GenerationJob.Status.RUNNING:
        raise JobError("The job is running; discard it once it has finished.", None)
    names = [o["name"] for o in job.outputs or []]
    GenerationJob.objects.filter(pk=job.pk).update(outputs=[])
    job.outputs = []
    _delete_outputs(names)


# --------------------------------------------------------------------------- status

def output_url(job, index: int) -> str:
    """URL of a pending output: the admin preview view (permission-checked) when installed."""
    try:
        return reverse("wagtail_gan_admin:job_output", args=[job.pk, index])
    except NoReverseMatch:
        return _storage().url(job.outputs[index]["name"])


def job_status(job) -> dict:
    """JSON-able state of a job for polling clients (admin and API)."""
    outputs = [
        {"index": i, "url": output_url(job, i), "width": o.get("width"),
         "height": o.get("height"), "seed": o.get("seed")}
        for i, o in enumerate(job.outputs or [])
    ]
    duration = job.duration
    queued_for = None
    if job.started_at:
        queued_for = (job.started_at - job.created_at).total_seconds()
    return {
        "id": job.pk,
        "uuid": str(job.uuid),
        "kind": job.kind,
        "status": job.status,
        "finished": job.status not in GenerationJob.ACTIVE_STATUSES,
        "progress": int(job.progress),
        "error": job.error,
        "operation": job.operation,
        "instruction": job.instruction,
        "interpretation": job.interpretation,
        "params": job.params,
        "seed": job.seed,
        "count": job.count,
        "source_image_id": job.source_image_id,
        "collection_id": job.collection_id,
        "outputs": outputs,
        "result_image_id": job.result_image_id,
        "discarded": job.status == GenerationJob.Status.SUCCEEDED and not outputs
        and not job.result_image_id,
        "model_id": job.model_id,
        "timings": {
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "queued_seconds": round(queued_for, 3) if queued_for is not None else None,
            "run_seconds": round(duration, 3) if duration is not None else None,
        },
    }


# --------------------------------------------------------------------------- worker side

HEARTBEAT_SECONDS = 30


def heartbeat_interval() -> float:
    """Seconds between heartbeats: 30, or a quarter of JOB_HEARTBEAT_TIMEOUT if that is less."""
    return min(HEARTBEAT_SECONDS, max(0.05, int(gan_settings.JOB_HEARTBEAT_TIMEOUT) / 4))


class _Progress:
    """Writes progress (0..100) to the job row, at most ~5 times a second, and refreshes the
    job's ``heartbeat_at`` every ``heartbeat_interval()`` seconds while the model reports
    progress (tiles, diffusion steps), so the sweeper can tell a long run from a dead worker."""

    def __init__(self, job_id: int, low: int = 0, high: int = 100):
        self.job_id = job_id
        self.low, self.high = low, high
        self.last_value = -1
        self.last_time = 0.0
        self.interval = heartbeat_interval()
        self.last_beat = time.monotonic()

    def __call__(self, fraction: float) -> None:
        try:
            fraction = min(1.0, max(0.0, float(fraction)))
        except (TypeError, ValueError):
            return
        value = int(self.low + (self.high - self.low) * fraction)
        now = time.monotonic()
        if now - self.last_beat >= self.interval:
            self.last_beat = now
            GenerationJob.objects.filter(
                pk=self.job_id, status=GenerationJob.Status.RUNNING
            ).update(heartbeat_at=timezone.now())
        if value <= self.last_value or (now - self.last_time < 0.2 and value < self.high):
            return
        self.last_value, self.last_time = value, now
        GenerationJob.objects.filter(pk=self.job_id, progress__lt=value).update(progress=value)


def _load_pixels(image):
    from PIL import Image as PILImage
    from PIL import ImageOps

    check_raster(image)
    try:
        with image.open_file() as fh:
            pil = PILImage.open(fh)
            pil.load()
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
        # A missing, truncated or corrupt file: say so instead of "Unexpected error".
        raise JobError(f"The file of “{image.title}” cannot be read as an image ({exc}).") \
            from exc
    return ImageOps.exif_transpose(pil)


def _write_output(job, pil, index: int, seed, result=None) -> dict:
    from .provenance import finalize_output

    data, ext = finalize_output(pil, job=job, index=index, result=result)
    name = _storage().save(f"{PENDING_DIR}/{job.uuid.hex}-{index}.{ext}", ContentFile(data))
    return {"name": name, "width": pil.width, "height": pil.height, "seed": seed}


def run_generation_job(job_id: int) -> None:
    """Worker: run one job. Never raises for model/input errors: they end in status "failed"
    with the message in ``error``; the source image is never written."""
    now = timezone.now()
    claimed = GenerationJob.objects.filter(pk=job_id, status=GenerationJob.Status.QUEUED).update(
        status=GenerationJob.Status.RUNNING, started_at=now, heartbeat_at=now, progress=0,
        error="",
    )
    if not claimed:
        logger.info("Generation job %s is not queued any more; skipped", job_id)
        return
    job = GenerationJob.objects.select_related("source_image").get(pk=job_id)
    written: list[dict] = []
    try:
        from .models_zoo import engine

        progress = _Progress(job_id, 1, 99)
        if job.kind == GenerationJob.Kind.GENERATE:
            results = engine.generate_images(
                job.instruction, count=job.count, seed=job.seed, progress=progress
            )
        else:
            source = job.source_image
            if source is None:
                raise JobError("The source image was deleted before the job ran.")
            spec = parse_spec(job.operation)
            kwargs: dict[str, Any] = {"seed": job.seed, "progress": progress}
            if spec.operation == "edit":
                kwargs["prompt"] = job.params.get("prompt") or job.instruction
            if "strength" in job.params and spec.operation != "winterize":
                kwargs["strength"] = job.params["strength"]
            if "style_image" in spec.params:
                Image = get_image_model()
                style = Image.objects.filter(pk=spec.params["style_image"]).first()
                if style is None:
                    raise JobError("The style image was deleted before the job ran.")
                kwargs["style_image"] = _load_pixels(style)
            results = [engine.run_operation(spec, _load_pixels(source), **kwargs)]
        for i, result in enumerate(results):
            written.append(_write_output(job, result.image, i, result.seed, result))
        first = results[0]
        # Only a job still running succeeds: one the sweeper gave up on stays failed (the
        # editor was told, and may have started it again).
        finished = GenerationJob.objects.filter(pk=job_id, status=GenerationJob.Status.RUNNING)
        succeeded = finished.update(
            status=GenerationJob.Status.SUCCEEDED, progress=100, outputs=written,
            model_id=first.model_id or "", model_sha256=first.model_sha256 or "",
            params={**job.params, **{k: v for k, v in (first.params or {}).items()
                                     if k not in job.params}},
            seed=job.seed if job.seed is not None else first.seed,
            finished_at=timezone.now(), heartbeat_at=timezone.now(),
        )
        if not succeeded:
            logger.warning("Generation job %s finished after it was marked failed; result "
                           "discarded", job_id)
            _delete_outputs([o["name"] for o in written])
            return
    except Exception as exc:
        engine_error = any(c.__name__ == "EngineError" for c in type(exc).__mro__)
        if isinstance(exc, ImportError):
            message = (f"The worker cannot run models ({exc}); install wagtail-gan[worker] "
                       "on the machine that runs manage.py run_huey.")
            logger.error("Generation job %s: %s", job_id, message)
        elif engine_error or isinstance(exc, (JobError, InvalidSpec)):
            message = str(exc)
            logger.warning("Generation job %s failed: %s", job_id, message)
        else:
            message = f"Unexpected error ({type(exc).__name__}): {exc}"
            logger.exception("Generation job %s crashed", job_id)
        _delete_outputs([o["name"] for o in written])
        GenerationJob.objects.filter(pk=job_id, status=GenerationJob.Status.RUNNING).update(
            status=GenerationJob.Status.FAILED, error=message[:2000], finished_at=timezone.now(),
        )
        return
    if gan_settings.AUTO_KEEP and job.count == 1:
        job.refresh_from_db()
        try:
            keep_job(job, None, 0)
        except Exception:
            logger.exception("Auto-keep of job %s failed; the output stays pending", job_id)


# --------------------------------------------------------------------------- sweeper

def sweep_generation_jobs(now=None) -> dict[str, int]:
    """Recover generation jobs a dead worker left behind (periodic task ``sweep_renditions``
    and ``manage.py gan_sweep``):

    * running, no heartbeat for JOB_HEARTBEAT_TIMEOUT -> failed, with an error the editor sees
      (the worker died mid-run; re-running a job that may have killed its worker is left to
      the editor);
    * queued, not picked up for JOB_QUEUE_TIMEOUT -> re-queued once (a lost queue message; a
      duplicate message is harmless, the worker claims a job once), then failed.

    Every change is a conditional UPDATE on the row's status and heartbeat, so a job that
    beats, starts or finishes meanwhile is left alone, and concurrent sweepers act once.
    """
    Status = GenerationJob.Status
    now = now or timezone.now()
    counts = {"jobs_failed": 0, "jobs_requeued": 0}
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
                enqueue_job(job.pk)
                counts["jobs_requeued"] += 1
        elif rows.update(
            status=Status.FAILED, finished_at=now,
            error=(f"No worker picked this job up (waited over {queue_timeout} seconds, "
                   "re-queued once). Is the worker (manage.py run_huey) running?"),
        ):
            logger.warning("Generation job %s: never picked up; marked failed", job.pk)
            counts["jobs_failed"] += 1
    return counts
