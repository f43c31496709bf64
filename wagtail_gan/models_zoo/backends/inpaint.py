"""Inpainting: ``erase`` (fill a mask) and ``expand`` (outpaint a new border, the border is the
mask), with LaMa through spandrel (family ``lama``, the default) or OpenCV's classical
inpainting (family ``opencv_inpaint``: Telea or Navier-Stokes, no weights, not AI; it runs
where LaMa is not installed and says so in the result's params). Both share the geometry
below (:class:`InpaintBackend`); they differ only in how a masked crop is filled.

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


def scaled_fill(image: Image.Image, mask: Image.Image, max_side: int, fill_fn) -> Image.Image:
    """``image`` with the masked area (255) filled by ``fill_fn(image, mask) -> RGB image``
    and every other pixel unchanged. ``fill_fn`` runs at ``max_side`` at most; its fill is
    upscaled to ``image``'s size."""
    work_img, work_mask = image, mask
    longest = max(image.size)
    if longest > max_side:
        f = max_side / longest
        small = (max(1, round(image.width * f)), max(1, round(image.height * f)))
        work_img = image.resize(small, Image.Resampling.LANCZOS)
        # any coverage counts: thin strokes must survive the downscale
        work_mask = mask.resize(small, Image.Resampling.BILINEAR).point(
            lambda v: 255 if v > 0 else 0)
    filled = fill_fn(work_img, work_mask)
    if filled.size != image.size:
        filled = filled.resize(image.size, Image.Resampling.LANCZOS)
    hard = mask.point(lambda v: 255 if v > 127 else 0)
    return Image.composite(filled, image, hard)


def fill(desc, image: Image.Image, mask: Image.Image, *, device: str, max_side: int) -> Image.Image:
    """``image`` with the masked area (255) filled by LaMa (spandrel descriptor ``desc``) and
    every other pixel unchanged. Runs at ``max_side`` at most (:func:`scaled_fill`)."""
    import torch

    def lama(work_img, work_mask):
        dtype = next(desc.model.parameters()).dtype
        x = runtime.pil_to_tensor(work_img).to(device=device, dtype=dtype)
        m = torch.from_numpy((np.asarray(work_mask) > 127).astype(np.float32))[None, None]
        with torch.inference_mode():
            out = desc(x, m.to(device=device, dtype=dtype))
        arr = out[0].float().clamp(0, 1).cpu().numpy().transpose(1, 2, 0)
        return Image.fromarray((arr * 255.0 + 0.5).astype(np.uint8), "RGB")

    return scaled_fill(image, mask, max_side, lama)


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


class InpaintBackend(Backend):
    """erase and expand; a subclass fills a masked crop (:meth:`fill`) and may add what its
    results record (:meth:`describe`)."""

    def fill(self, entry: registry.ModelEntry, image: Image.Image, mask: Image.Image, *,
             ctx: RunContext, max_side: int, params: dict[str, Any]) -> Image.Image:
        raise NotImplementedError

    def describe(self, entry: registry.ModelEntry, params: dict[str, Any]) -> dict[str, Any]:
        return {}

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        if any(k in params for k in EXPAND_KEYS):
            out, extra = self.expand(entry, rgb, params=params, ctx=ctx)
        else:
            out, extra = self.erase(entry, rgb, params=params, ctx=ctx)
        return out, {**extra, **self.describe(entry, params)}

    def erase(self, entry, rgb, *, params, ctx):
        mask, used = masks.rasterise(params, rgb.size)
        box = masks.bbox(mask)
        if box is None:
            raise EngineError("The mask covers no pixels of the image")
        max_side = _max_side(entry, params)
        x0, y0, x1, y1 = box
        margin = max(MIN_MARGIN, max(x1 - x0, y1 - y0) // 2)
        region = (max(0, x0 - margin), max(0, y0 - margin),
                  min(rgb.width, x1 + margin), min(rgb.height, y1 + margin))
        patch = self.fill(entry, rgb.crop(region), mask.crop(region), ctx=ctx,
                          max_side=max_side, params=params)
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
        arr = np.pad(np.asarray(rgb), ((top, bottom), (left, right), (0, 0)), mode="edge")
        canvas = Image.fromarray(arr, "RGB")
        mask = Image.new("L", (w, h), 255)
        mask.paste(0, (left, top, left + rgb.width, top + rgb.height))
        out = self.fill(entry, canvas, mask, ctx=ctx, max_side=max_side, params=params)
        out.paste(rgb, (left, top))  # exact original pixels
        ctx.report(0.95)
        return out, {"padding": [left, top, right, bottom], "max_side": max_side}


class LamaBackend(InpaintBackend):
    family = "lama"

    def fill(self, entry, image, mask, *, ctx, max_side, params):
        desc = load(entry, ctx.device)
        ctx.report(0.1)
        return fill(desc, image, mask, device=ctx.device, max_side=max_side)


CV_METHODS = ("telea", "ns")
CLASSICAL = "classical, not AI"


class OpenCVInpaintBackend(InpaintBackend):
    """OpenCV's ``cv2.inpaint`` (``defaults["method"]``: ``telea`` = Telea's fast marching,
    ``ns`` = Navier-Stokes; ``radius`` in pixels of the working size). No weights: it is
    installed wherever OpenCV is (the worker extra)."""

    family = "opencv_inpaint"
    uses_torch = False

    def is_installed(self, entry: registry.ModelEntry) -> bool:
        from importlib.util import find_spec

        return find_spec("cv2") is not None

    def not_installed_message(self, entry: registry.ModelEntry) -> str:
        return (f"{entry.id!r} (the classical inpainting engine) needs OpenCV: "
                "pip install 'wagtail-gan[worker]'")

    def _options(self, entry, params) -> tuple[str, int]:
        method = str(params.get("method", entry.defaults.get("method", "telea"))).lower()
        if method not in CV_METHODS:
            raise EngineError(f"method must be one of {', '.join(CV_METHODS)}")
        try:
            radius = int(params.get("radius", entry.defaults.get("radius", 5)))
        except (TypeError, ValueError):
            radius = 0
        if not 1 <= radius <= 64:
            raise EngineError("radius must be 1..64 pixels")
        return method, radius

    def fill(self, entry, image, mask, *, ctx, max_side, params):
        import cv2

        method, radius = self._options(entry, params)
        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS

        def classical(work_img, work_mask):
            bgr = cv2.cvtColor(np.asarray(work_img), cv2.COLOR_RGB2BGR)
            hole = (np.asarray(work_mask) > 127).astype(np.uint8) * 255
            out = cv2.inpaint(bgr, hole, radius, flag)
            return Image.fromarray(cv2.cvtColor(out, cv2.COLOR_BGR2RGB), "RGB")

        ctx.report(0.1)
        return scaled_fill(image, mask, max_side, classical)

    def describe(self, entry, params):
        method, radius = self._options(entry, params)
        name = "Telea (fast marching)" if method == "telea" else "Navier-Stokes"
        return {"engine": f"{CLASSICAL}: OpenCV {name} inpainting", "method": method,
                "radius": radius}
