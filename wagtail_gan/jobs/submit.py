"""Submitting editor/API jobs: validate, check permissions (no job row on refusal), create the
``GenerationJob`` and request the work once the transaction commits."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import Collection

from wagtail_gan import queue
from wagtail_gan.exceptions import IdempotencyConflict, JobError
from wagtail_gan.instructions import InstructionError, clean_instruction
from wagtail_gan.models import GenerationJob
from wagtail_gan.operations import InvalidSpec
from wagtail_gan.permissions import check_can_add_to, check_can_generate_from, is_protected

from .validation import (
    MAX_COUNT,
    check_enabled,
    check_raster,
    clean_seed,
    clean_strength,
    plan_variant,
    resolve_style_image,
)

logger = logging.getLogger(__name__)


def fingerprint(**request) -> str:
    """sha256 of a normalised request: what an idempotency key stands for."""
    norm = {k: (v.strip() if isinstance(v, str) else v) for k, v in request.items()}
    return hashlib.sha256(json.dumps(norm, sort_keys=True, default=str).encode()).hexdigest()


def replay(user, idempotency_key: str, request_fingerprint: str):
    """The job already submitted with this key (``job.replayed`` is True), or None. A key
    used for a different request raises ``IdempotencyConflict``."""
    if not idempotency_key:
        return None
    if len(idempotency_key) > 255:
        raise JobError("The idempotency key is longer than 255 characters.", "idempotency_key")
    job = GenerationJob.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if job is None:
        return None
    if job.request_fingerprint and job.request_fingerprint != request_fingerprint:
        raise IdempotencyConflict()
    job.replayed = True
    return job


def _create_and_enqueue(user, idempotency_key: str, request_fingerprint: str,
                        admit: Callable[[], None] | None, **fields) -> GenerationJob:
    try:
        with transaction.atomic():
            if admit is not None:
                # e.g. the API's throttle: counts and locks in this transaction, so only a
                # job about to be created counts and concurrent requests cannot overrun it
                admit()
            job = GenerationJob.objects.create(
                user=user, idempotency_key=idempotency_key, task_id=queue.new_task_id(),
                request_fingerprint=request_fingerprint, **fields)
    except IntegrityError:
        # A concurrent request with the same key won the race.
        existing = replay(user, idempotency_key, request_fingerprint)
        if existing is None:
            raise
        return existing
    job.replayed = False
    transaction.on_commit(lambda: enqueue_job(job))
    return job


def enqueue_job(job: GenerationJob, task_id: str | None = None) -> None:
    """Put the job on the queue now (the interactive priority is the task layer's); a queue
    that cannot be reached fails the job instead of leaving it "queued" forever."""
    try:
        queue.request("generation", job.pk, task_id=task_id or job.task_id or None,
                      on_commit=False)
    except Exception as exc:
        logger.exception("Could not enqueue generation job %s", job.pk)
        GenerationJob.objects.filter(pk=job.pk, status=GenerationJob.Status.QUEUED).update(
            status=GenerationJob.Status.FAILED, error=f"Could not reach the job queue: {exc}",
            finished_at=timezone.now(),
        )


def submit_variant_job(
    *, user, image, operation: str | None = None, instruction: str | None = None,
    seed: int | None = None, strength: float | None = None, collection=None,
    idempotency_key: str = "", admit: Callable[[], None] | None = None,
    source: str = GenerationJob.Source.ADMIN, mask=None,
) -> GenerationJob:
    """Validate, check permissions, create the job and enqueue it. Raises JobError (bad input)
    or PermissionDenied (no job row is created in either case). With an ``idempotency_key``
    already used for the same request, returns that job (``job.replayed``); ``admit`` is
    called just before a new job is created (the API's throttle). ``mask``: the inputs an
    operation takes beside its spec (erase)."""
    if image is None:
        raise JobError("Choose a source image.", "image")
    check_can_generate_from(user, image)
    request_fp = fingerprint(kind="variant", image=image.pk, operation=operation or "",
                             instruction=instruction or "", seed=seed, strength=strength,
                             collection=getattr(collection, "pk", None), mask=mask)
    existing = replay(user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    if is_protected(image):
        raise JobError(
            f"Images in the collection “{image.collection}” may not be used as sources.", "image"
        )
    check_raster(image)
    collection = collection or image.collection
    check_can_add_to(user, collection)
    steps, instruction, interpretation = plan_variant(
        user=user, operation=operation, instruction=instruction
    )
    for spec in steps:
        if "style_image" in spec.params:
            resolve_style_image(user, spec.params["style_image"])
    seed = clean_seed(seed)
    strength = clean_strength(strength)
    if strength is not None:
        steps = [spec.op.with_strength(spec, strength) if spec.op.strength else spec
                 for spec in steps]
    params = step_params(steps, instruction, clean_inputs(steps, {"mask": mask}))
    return _create_and_enqueue(
        user, idempotency_key, request_fp, admit,
        kind=GenerationJob.Kind.VARIANT, source=source, source_image=image, collection=collection,
        operation="|".join(spec.text for spec in steps), instruction=instruction,
        interpretation=interpretation, params=params, seed=seed, count=1,
    )


def clean_inputs(steps, inputs: dict) -> list[dict]:
    """Per step, the cleaned inputs its operation takes beside the spec (erase's mask). An
    input no step takes is refused."""
    given = {name for name, value in inputs.items() if value is not None}
    taken = set().union(*(spec.op.inputs for spec in steps))
    for name in given - taken:
        raise JobError(f"“{name}” is only for operations that take it, not for "
                       f"{' | '.join(spec.text for spec in steps)}.", name)
    cleaned = []
    for spec in steps:
        try:
            cleaned.append(spec.op.clean_inputs(spec, inputs))
        except InvalidSpec as exc:
            raise JobError(str(exc), spec.op.inputs[0] if spec.op.inputs else "operation") \
                from None
    return cleaned


def step_params(steps, instruction: str, inputs: list[dict] | None = None) -> dict:
    """The job's recorded parameters: the spec's (plus the prompt and the operation's inputs)
    for one step; for several, each step's under ``steps`` (the provenance lists every step)."""
    inputs = inputs or [{} for _ in steps]

    def one(spec, extra):
        params = {**spec.params, **extra}
        if spec.op.needs_instruction:
            params["prompt"] = instruction
        return params

    if len(steps) == 1:
        return one(steps[0], inputs[0])
    return {"steps": [{"operation": spec.text, "params": one(spec, extra)}
                      for spec, extra in zip(steps, inputs, strict=True)]}


def submit_generate_job(
    *, user, prompt: str, collection, seed: int | None = None, count: int = 1,
    idempotency_key: str = "", admit: Callable[[], None] | None = None,
    source: str = GenerationJob.Source.ADMIN,
) -> GenerationJob:
    """Text-to-image: 1..4 candidates for ``prompt`` into ``collection``."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("You must be logged in.")
    if collection is None:
        collection = Collection.get_first_root_node()
    check_can_add_to(user, collection)
    request_fp = fingerprint(kind="generate", prompt=prompt or "", seed=seed, count=count,
                             collection=collection.pk)
    existing = replay(user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    check_enabled("generate", "prompt")
    try:
        prompt = clean_instruction(prompt)
    except InstructionError as exc:
        msg = str(exc).replace("Describe the edit you want, e.g. “add snow” or “upscale 4x”.",
                               "Describe the image you want.")
        raise JobError(msg.replace("instruction", "prompt"), "prompt") from None
    seed = clean_seed(seed)
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise JobError("The number of candidates must be a whole number.", "count") from None
    if not 1 <= count <= MAX_COUNT:
        raise JobError(f"Ask for 1 to {MAX_COUNT} candidates.", "count")
    return _create_and_enqueue(
        user, idempotency_key, request_fp, admit,
        kind=GenerationJob.Kind.GENERATE, source=source, source_image=None, collection=collection,
        operation="generate", instruction=prompt, params={"prompt": prompt}, seed=seed,
        count=count,
    )
