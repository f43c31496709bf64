"""Submitting editor/API jobs: validate, check permissions (no job row on refusal), then
``work.submit`` creates the ``GenerationJob`` (idempotency, the per-user budget) and
requests the work once the transaction commits (``enqueue_job``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from wagtail.models import Collection

from wagtail_gan import operations
from wagtail_gan.exceptions import JobError
from wagtail_gan.instructions import InstructionError, clean_instruction
from wagtail_gan.models import GenerationJob
from wagtail_gan.operations import InvalidSpec
from wagtail_gan.permissions import check_can_add_to, check_can_generate_from, is_protected
from wagtail_gan.work import submit as work_submit
from wagtail_gan.work.submit import enqueue as enqueue_job  # noqa: F401 (jobs.enqueue_job)

from .validation import (
    MAX_COUNT,
    check_available,
    check_enabled,
    check_pixel_limits,
    check_raster,
    clean_seed,
    clean_strength,
    plan_variant,
    resolve_style_image,
)


def submit_variant_job(
    *, user, image, operation: str | None = None, instruction: str | None = None,
    seed: int | None = None, strength: float | None = None, collection=None,
    idempotency_key: str = "",
    source: str = GenerationJob.Source.ADMIN, mask=None,
) -> GenerationJob:
    """Validate, check permissions, create the job and enqueue it. Raises JobError (bad input)
    or PermissionDenied (no job row is created in either case). With an ``idempotency_key``
    already used for the same request, returns that job (``job.replayed``). Over the
    per-user budget (``work.budget``) it raises ``OverBudget``. ``mask``: the inputs an
    operation takes beside its spec (erase)."""
    if image is None:
        raise JobError("Choose a source image.", "image")
    check_can_generate_from(user, image)
    request_fp = work_submit.fingerprint(
        kind="variant", image=image.pk, operation=operation or "", instruction=instruction or "",
        seed=seed, strength=strength, collection=getattr(collection, "pk", None), mask=mask)
    existing = work_submit.replay(GenerationJob, user, idempotency_key, request_fp)
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
    sizes = check_pixel_limits(steps, (image.width, image.height))
    params = step_params(steps, instruction, clean_inputs(steps, {"mask": mask}, sizes))
    return work_submit.create(
        GenerationJob, user=user, idempotency_key=idempotency_key,
        request_fingerprint=request_fp, kind=GenerationJob.Kind.VARIANT,
        source=source, source_image=image, collection=collection,
        operation="|".join(spec.text for spec in steps), instruction=instruction,
        interpretation=interpretation, params=params, seed=seed, count=1,
    )


def clean_inputs(steps, inputs: dict, sizes=None) -> list[dict]:
    """Per step, the cleaned inputs its operation takes beside the spec (erase's mask),
    bounded by the step's input size (``sizes``, from ``check_pixel_limits``). An input no
    step takes is refused."""
    given = {name for name, value in inputs.items() if value is not None}
    taken = set().union(*(spec.op.inputs for spec in steps))
    for name in given - taken:
        raise JobError(f"“{name}” is only for operations that take it, not for "
                       f"{' | '.join(spec.text for spec in steps)}.", name)
    cleaned = []
    for spec, size in zip(steps, sizes or [None] * len(steps), strict=True):
        try:
            cleaned.append(spec.op.clean_inputs(spec, inputs, size=size) if spec.op.inputs
                           else spec.op.clean_inputs(spec, inputs))
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
    idempotency_key: str = "",
    source: str = GenerationJob.Source.ADMIN,
) -> GenerationJob:
    """Text-to-image: 1..4 candidates for ``prompt`` into ``collection``."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("You must be logged in.")
    if collection is None:
        collection = Collection.get_first_root_node()
    check_can_add_to(user, collection)
    request_fp = work_submit.fingerprint(kind="generate", prompt=prompt or "", seed=seed,
                                         count=count, collection=collection.pk)
    existing = work_submit.replay(GenerationJob, user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    check_enabled("generate", "prompt")
    check_available("generate", "prompt", operations.get("generate").label)
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
    return work_submit.create(
        GenerationJob, user=user, idempotency_key=idempotency_key,
        request_fingerprint=request_fp, kind=GenerationJob.Kind.GENERATE,
        source=source, source_image=None, collection=collection,
        operation="generate", instruction=prompt, params={"prompt": prompt}, seed=seed,
        count=count,
    )
