"""Validation of editor/API job requests: operation (spec or instruction), seed, strength,
source and style images. Raises ``JobError`` (bad input) or ``PermissionDenied``."""

from __future__ import annotations

from typing import Any

from wagtail_gan import operations
from wagtail_gan.conf import gan_settings
from wagtail_gan.exceptions import JobError, Unavailable
from wagtail_gan.instructions import InstructionError, clean_instruction, interpret
from wagtail_gan.models_zoo import registry
from wagtail_gan.operations import InvalidSpec, parse_steps
from wagtail_gan.permissions import image_permission_policy, is_protected

MAX_SEED = 2**63 - 1
MAX_COUNT = 4


def check_raster(image, field: str = "image") -> None:
    """JobError for an SVG: the models work on pixels (Wagtail keeps SVGs as vector files)."""
    if image.is_svg():
        raise JobError(
            f"“{image.title}” is an SVG (vector) image: the models only work on raster images "
            "(JPEG, PNG, WebP, GIF, AVIF).", field
        )


def clean_seed(seed) -> int | None:
    if seed is None or seed == "":
        return None
    try:
        value = int(seed)
    except (TypeError, ValueError):
        raise JobError("The seed must be a whole number.", "seed") from None
    if not 0 <= value <= MAX_SEED:
        raise JobError(f"The seed must be between 0 and {MAX_SEED}.", "seed")
    return value


def clean_strength(strength) -> float | None:
    if strength is None or strength == "":
        return None
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise JobError("The strength must be a number between 0 and 1.", "strength") from None
    if not 0.0 < value <= 1.0:
        raise JobError("The strength must be greater than 0 and at most 1.", "strength")
    return value


def check_enabled(op: str, field: str = "operation") -> None:
    if not operations.get(op).is_enabled():
        raise JobError(f"The operation “{op}” is not enabled on this site.", field)


def missing_model_message(label, key: str) -> str:
    """Why ``label`` cannot run: its model (the registry's for ``key``) is not installed, and
    how to install it."""
    try:
        model_id = registry.resolve(key).id
    except registry.UnknownModel:
        model_id = ""
    named = f" ({model_id})" if model_id else ""
    return (f"“{label}” cannot run here yet: its model{named} is not installed. An "
            "administrator can install it (the admin's Models page, or manage.py gan_models "
            f"install{' ' + model_id if model_id else ''}).")


def check_available(op_name: str, field: str, label) -> None:
    """Unavailable (a 400, the editor's "can't run yet") when the model of the operation
    ``op_name`` (its default) is not installed: no job is created that could only fail."""
    op = operations.get(op_name)
    if not op.is_available():
        raise Unavailable(missing_model_message(label, op.model_key({})), field, label)


def check_pixel_limits(steps, size: tuple[int, int]) -> list[tuple[int, int] | None]:
    """Every step of a job within MAX_INPUT_PIXELS (its input) and MAX_OUTPUT_PIXELS (its
    output), with the sizes the steps before it will produce from the source's ``size``:
    JobError naming the step, before a job exists (so no step runs for a minute to have the
    next refused). A step whose output size only its model knows ends the check. The source's
    EXIF orientation may turn it, which only changes what ``expand-<w>x<h>`` adds: a job is
    refused when it is over a limit either way round. Returns each step's input size."""
    problems = [_pixel_problem(steps, size), _pixel_problem(steps, (size[1], size[0]))]
    if problems[0] and problems[1]:
        raise JobError(problems[0], "operation")
    sizes: list[tuple[int, int] | None] = []
    current: tuple[int, int] | None = size
    for spec in steps:
        sizes.append(current)
        current = spec.op.output_size(spec.params, current) if current else None
    return sizes


def _pixel_problem(steps, size: tuple[int, int]) -> str:
    max_in, max_out = int(gan_settings.MAX_INPUT_PIXELS), int(gan_settings.MAX_OUTPUT_PIXELS)
    for i, spec in enumerate(steps):
        what = f"Step {i + 1} ({spec.text})" if len(steps) > 1 else f"“{spec.text}”"
        w, h = size
        if w * h > max_in:
            return (f"{what} would get a {w}x{h} image = {w * h:,} pixels; the limit "
                    f"(WAGTAIL_GAN['MAX_INPUT_PIXELS']) is {max_in:,}.")
        out = spec.op.output_size(spec.params, size)
        if out is None:
            return ""
        if out[0] * out[1] > max_out:
            return (f"{what} would make a {out[0]}x{out[1]} image = {out[0] * out[1]:,} "
                    f"pixels; the limit (WAGTAIL_GAN['MAX_OUTPUT_PIXELS']) is {max_out:,}.")
        size = out
    return ""


def lookup_image_by_title(user):
    policy = image_permission_policy()

    def lookup(title: str):
        qs = policy.instances_user_has_any_permission_for(user, ["choose", "change"])
        match = qs.filter(title__iexact=title.strip()).order_by("pk").first()
        return (match.pk, match.title) if match else None

    return lookup


def resolve_style_image(user, image_id: int):
    """The style image of ``stylize-image<id>``, looked up among the images ``user`` may
    choose or change (the permission policy first): another collection's image gets exactly
    the message of a missing one."""
    style = image_permission_policy().instances_user_has_any_permission_for(
        user, ["choose", "change"]).filter(pk=image_id).first()
    if style is None:
        raise JobError(f"No image {image_id} that you can see to take the style from.",
                       "operation")
    if is_protected(style):  # a style reference is a source too
        raise JobError(
            f"Images in the collection “{style.collection}” may not be used as sources, "
            "style images included.", "operation"
        )
    check_raster(style, "operation")
    return style


def plan_variant(*, user, operation: str | None = None, instruction: str | None = None):
    """Resolve what a variant job will run: (steps, instruction, interpretation dict), where
    ``steps`` is a list of OperationSpec (one, or several joined with ``|``).

    ``instruction`` alone is interpreted; ``operation`` (a spec) wins over the interpretation
    (the editor changed it). ``edit`` needs an instruction (the prompt).
    """
    instruction = (instruction or "").strip()
    interpretation: dict[str, Any] = {}
    field = "operation" if operation else "instruction"
    if instruction:
        try:
            instruction = clean_instruction(instruction)
            plan = interpret(instruction, image_lookup=lookup_image_by_title(user))
        except InstructionError as exc:
            raise JobError(str(exc), "instruction") from None
        interpretation = plan.as_dict()
        if not operation:
            operation = plan.spec
    if not operation:
        raise JobError("Choose an operation or describe the edit you want.", "operation")
    try:
        steps = parse_steps(operation)
    except InvalidSpec as exc:
        raise JobError(str(exc), "operation") from None
    for spec in steps:
        if not spec.op.variant:
            raise JobError("Text-to-image makes new images; use “Generate new image”.",
                           "operation")
        if spec.op.needs_instruction and not instruction:
            raise JobError("A free-form edit needs an instruction, e.g. “make the sky pink”.",
                           "instruction")
        check_enabled(spec.operation)
        if not spec.available:
            raise Unavailable(missing_model_message(spec.label, spec.model_key), field,
                              spec.label)
    text = "|".join(spec.text for spec in steps)
    if interpretation and interpretation.get("spec") != text:
        interpretation["overridden_by"] = text
    return steps, instruction, interpretation
