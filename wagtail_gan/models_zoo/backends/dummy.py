"""A deterministic test backend (family ``dummy``): no weights, no torch, always installed.

The output is the input resized by ``params["scale"]`` (else the entry's scale, else 1) and
tinted with a colour derived from the model id, the params, prompt and seed, so different
specs give different pixels and the same spec the same pixels; a strength below 1 blends the
tint back towards the input, as the real families do. Text-to-image gives
a flat image of that colour. Progress is reported in several steps.

Options, from the entry's ``defaults`` overridden by the run's ``params``:
``delay`` (seconds: sleeps in small slices, reporting progress, to simulate a slow model) and
``fail`` (a message: raises :class:`EngineError` with it, after the delay) and ``crash`` (a
message: raises ``RuntimeError``, an unexpected error such as CUDA running out of memory). Use it from tests
or a demo with a site entry::

    WAGTAIL_GAN["MODELS"] = {"fake_x4": {"task": "upscale", "family": "dummy", "scale": 4,
                                         "default_for": ["upscale-4x"],
                                         "defaults": {"delay": 0.5}}}
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

from PIL import Image

from .. import registry
from ..errors import EngineError
from .base import Backend, RunContext

STEPS = 4
SLICE = 0.05  # seconds between progress reports while "working"
TINT = 0.5  # share of the tint colour in the output (an effect as visible as a style)


def tint_colour(entry: registry.ModelEntry, params: dict[str, Any],
                ctx: RunContext) -> tuple[int, int, int]:
    """A colour that is a function of everything that defines the run."""
    params = {k: v for k, v in params.items() if k != "strength"}  # strength blends, below
    key = json.dumps({"model": entry.id, "params": params, "prompt": ctx.prompt,
                      "seed": ctx.seed}, sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).digest()
    return digest[0], digest[1], digest[2]


def _hex(colour: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in colour)


class DummyBackend(Backend):
    family = "dummy"
    uses_torch = False

    def is_installed(self, entry: registry.ModelEntry) -> bool:
        return True

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        options = {**entry.defaults, **params}
        scale = options.get("scale") or entry.scale or 1
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            raise EngineError(f"scale must be a number, got {scale!r}") from None
        if not 0 < scale <= 16:
            raise EngineError(f"scale must be between 0 and 16, got {scale:g}")
        self._work(options, ctx)
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        out = rgb.resize(size, Image.Resampling.BICUBIC) if size != rgb.size else rgb.copy()
        colour = tint_colour(entry, params, ctx)
        resized = out
        out = Image.blend(out, Image.new("RGB", size, colour), TINT)
        strength = ctx.blend_strength(params)  # like the real families: less of the effect
        if strength < 1.0:
            out = Image.blend(resized, out, strength)
        return out, {"scale": scale if scale != int(scale) else int(scale),
                     "tint": _hex(colour)}

    def txt2img(self, entry: registry.ModelEntry, prompt: str, *, width: int, height: int,
                ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        options = dict(entry.defaults)
        self._work(options, ctx)
        colour = tint_colour(entry, {"width": width, "height": height}, ctx)
        return Image.new("RGB", (width, height), colour), {"tint": _hex(colour)}

    def _work(self, options: dict[str, Any], ctx: RunContext) -> None:
        """Report progress in steps, sleeping ``delay`` seconds in all; then fail if asked."""
        try:
            delay = max(0.0, float(options.get("delay") or 0))
        except (TypeError, ValueError):
            raise EngineError(f"delay must be a number of seconds, got {options['delay']!r}") from None
        start = time.monotonic()
        steps = max(STEPS, math.ceil(delay / SLICE))
        for step in range(1, steps + 1):
            pause = start + delay * step / steps - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            ctx.report(step / steps * 0.99)
        if options.get("fail"):
            raise EngineError(str(options["fail"]))
        if options.get("crash"):  # an unexpected error (not an EngineError): retried by jobs
            raise RuntimeError(str(options["crash"]))
