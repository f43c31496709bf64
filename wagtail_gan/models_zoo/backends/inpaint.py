"""Inpainting with LaMa through spandrel (family ``lama``): ``erase`` (fill a mask) and
``expand`` (outpaint a new border, the border is the mask).

* **erase** (params ``rects`` from the spec and/or ``mask``, see ``backends/masks.py``): the
  model runs on a crop around the mask (with context margins), downscaled to ``max_side`` when
  larger; its output is composited inside the mask only, so every unmasked pixel is unchanged.
* **expand** (params ``ratio`` or ``left``/``top``/``right``/``bottom``): the padded canvas,
  downscaled to ``max_side`` when larger, is filled; the original pixels are put back exactly.

``max_side`` (default 1024, the entry's ``defaults`` or the run's params): LaMa is trained at
256-512 px and generalises to ~2k; larger regions are filled at this size and upscaled (the
fill is smooth texture, so the loss is small and memory stays bounded).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
from PIL import Image

from .. import registry, runtime
from ..errors import EngineError
from . import masks
from .base import Backend, RunContext, cached_spandrel_model

SIDES = ("left", "top", "right", "bottom")
EXPAND_KEYS = ("ratio", *SIDES)
DEFAULT_MAX_SIDE = 1024
MIN_MARGIN = 64


def padding(params: dict[str, Any], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) for ``params``; the same geometry as
    ``operations.expand.padding`` (the worker package may not import operations)."""
    if "ratio" in params:
        try:
            rw, rh = (int(v) for v in params["ratio"])
        except (TypeError, ValueError):
            raise EngineError("expand: ratio is [width, height]") from None
        if not (0 < rw <= 100 and 0 < rh <= 100):
            raise EngineError("expand: ratio parts must be 1..100")
        w, h = size
        if w * rh < h * rw:
            extra = math.ceil(h * rw / rh) - w
            return extra // 2, 0, extra - extra // 2, 0
        extra = math.ceil(w * rh / rw) - h
        return 0, extra // 2, 0, extra - extra // 2
    try:
        pads = tuple(int(params.get(side, 0) or 0) for side in SIDES)
    except (TypeError, ValueError):
        raise EngineError("expand: sides are numbers of pixels") from None
    if any(p < 0 or p > 16384 for p in pads):
        raise EngineError("expand: each side must be 0..16384 pixels")
    return pads  # type: ignore[return-value]


def load(entry: registry.ModelEntry, device: str):
    """The spandrel MaskedImageModelDescriptor for an entry, from the per-process cache."""
    return cached_spandrel_model(entry, device, "MaskedImageModelDescriptor",
                                 lambda desc: True, "is not an inpainting model")


def fill(desc, image: Image.Image, mask: Image.Image, *, device: str, max_side: int) -> Image.Image:
    """``image`` with the masked area (255) filled by the model and every other pixel
    unchanged. Runs at ``max_side`` at most, the fill upscaled to ``image``'s size."""
    import torch

    work_img, work_mask = image, mask
    longest = max(image.size)
    if longest > max_side:
        f = max_side / longest
        small = (max(1, round(image.width * f)), max(1, round(image.height * f)))
        work_img = image.resize(small, Image.Resampling.LANCZOS)
        # any coverage counts: thin strokes must survive the downscale
        work_mask = mask.resize(small, Image.Resampling.BILINEAR).point(
            lambda v: 255 if v > 0 else 0)
    dtype = next(desc.model.parameters()).dtype
    x = runtime.pil_to_tensor(work_img).to(device=device, dtype=dtype)
    m = torch.from_numpy((np.asarray(work_mask) > 127).astype(np.float32))[None, None]
    with torch.inference_mode():
        out = desc(x, m.to(device=device, dtype=dtype))
    arr = out[0].float().clamp(0, 1).cpu().numpy().transpose(1, 2, 0)
    filled = Image.fromarray((arr * 255.0 + 0.5).astype(np.uint8), "RGB")
    if filled.size != image.size:
        filled = filled.resize(image.size, Image.Resampling.LANCZOS)
    hard = mask.point(lambda v: 255 if v > 127 else 0)
    return Image.composite(filled, image, hard)


def _max_side(entry: registry.ModelEntry, params: dict[str, Any]) -> int:
    value = params.get("max_side", entry.defaults.get("max_side", DEFAULT_MAX_SIDE))
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise EngineError("max_side must be a number of pixels") from None
    if not 64 <= value <= 8192:
        raise EngineError("max_side must be between 64 and 8192")
    return value


def _recorded_mask(mask: Any) -> Any:
    """The mask as recorded with the result: an embedded PNG by its sha256 only."""
    if isinstance(mask, dict) and isinstance(mask.get("png"), str):
        digest = hashlib.sha256(mask["png"].encode()).hexdigest()
        return {**mask, "png": f"sha256:{digest}"}
    return mask


class LamaBackend(Backend):
    family = "lama"

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        if any(k in params for k in EXPAND_KEYS):
            return self.expand(entry, rgb, params=params, ctx=ctx)
        return self.erase(entry, rgb, params=params, ctx=ctx)

    def erase(self, entry, rgb, *, params, ctx):
        mask, used = masks.rasterise(params, rgb.size)
        box = masks.bbox(mask)
        if box is None:
            raise EngineError("The mask covers no pixels of the image")
        max_side = _max_side(entry, params)
        desc = load(entry, ctx.device)
        ctx.report(0.1)
        x0, y0, x1, y1 = box
        margin = max(MIN_MARGIN, max(x1 - x0, y1 - y0) // 2)
        region = (max(0, x0 - margin), max(0, y0 - margin),
                  min(rgb.width, x1 + margin), min(rgb.height, y1 + margin))
        patch = fill(desc, rgb.crop(region), mask.crop(region), device=ctx.device,
                     max_side=max_side)
        out = rgb.copy()
        out.paste(patch, region[:2])
        ctx.report(0.95)
        extra: dict[str, Any] = {"mask_used": masks.summary(mask, used),
                                 "region": list(region), "max_side": max_side}
        if "mask" in params:
            extra["mask"] = _recorded_mask(params["mask"])
        return out, extra

    def expand(self, entry, rgb, *, params, ctx):
        left, top, right, bottom = padding(params, rgb.size)
        w, h = rgb.width + left + right, rgb.height + top + bottom
        runtime.check_output_limits(w, h)
        max_side = _max_side(entry, params)
        if (w, h) == rgb.size:
            return rgb.copy(), {"padding": [0, 0, 0, 0], "max_side": max_side}
        desc = load(entry, ctx.device)
        ctx.report(0.1)
        arr = np.pad(np.asarray(rgb), ((top, bottom), (left, right), (0, 0)), mode="edge")
        canvas = Image.fromarray(arr, "RGB")
        mask = Image.new("L", (w, h), 255)
        mask.paste(0, (left, top, left + rgb.width, top + rgb.height))
        out = fill(desc, canvas, mask, device=ctx.device, max_side=max_side)
        out.paste(rgb, (left, top))  # exact original pixels
        ctx.report(0.95)
        return out, {"padding": [left, top, right, bottom], "max_side": max_side}
