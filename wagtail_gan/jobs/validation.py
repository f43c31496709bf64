"""Validation of editor/API job requests: operation (spec or instruction), seed, strength,
source and style images. Raises ``JobError`` (bad input) or ``PermissionDenied``."""

from __future__ import annotations

from typing import Any

from wagtail.images import get_image_model

from wagtail_gan import operations
from wagtail_gan.exceptions import JobError, NotVisible, Unavailable
from wagtail_gan.instructions import InstructionError, clean_instruction, interpret
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


def lookup_image_by_title(user):
    policy = image_permission_policy()

    def lookup(title: str):
        qs = policy.instances_user_has_any_permission_for(user, ["choose", "change"])
        match = qs.filter(title__iexact=title.strip()).order_by("pk").first()
        return (match.pk, match.title) if match else None

    return lookup


def resolve_style_image(user, image_id: int):
    Image = get_image_model()
    try:
        style = Image.objects.get(pk=image_id)
    except Image.DoesNotExist:
        raise JobError(f"There is no image with id {image_id} to take the style from.",
                       "operation") from None
    policy = image_permission_policy()
    if not (policy.user_has_any_permission_for_instance(user, ["choose", "change"], style)):
        # Said like a missing image: which images exist is not for this user to learn.
        raise NotVisible(f"No style image {image_id} that you can see.", "operation")
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
            raise Unavailable(
                f"“{spec.label}” cannot run here yet: its model is not installed. An "
                "administrator can install it (the admin's Models page, or manage.py "
                "gan_models install).", field, spec.label)
    text = "|".join(spec.text for spec in steps)
    if interpretation and interpretation.get("spec") != text:
        interpretation["overridden_by"] = text
    return steps, instruction, interpretation
