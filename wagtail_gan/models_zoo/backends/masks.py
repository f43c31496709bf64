"""Masks for inpainting (``erase``): the JSON mask of ``operations/erase.py`` rasterised to a
Pillow "L" image (255 = fill, 0 = keep), and what provenance records about it.

The worker package may not import ``operations``, so the shape checks are repeated here
(briefly: the web tier gives users the friendly messages, this guards the worker).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..errors import EngineError

MAX_PNG_BYTES = 4 * 1024 * 1024
MAX_SHAPES = 500
MAX_GROW = 64


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise EngineError(f"mask: {what} must be a non-negative number")
    return float(value)


def _png(value: Any, size: tuple[int, int]) -> Image.Image:
    if not isinstance(value, str):
        raise EngineError("mask: png must be a base64 string")
    if value.startswith("data:"):
        value = value.partition(",")[2]
    if len(value) > MAX_PNG_BYTES * 4 // 3 + 4:
        raise EngineError("mask: png is too large")
    try:
        data = base64.b64decode(value, validate=True)
        img = Image.open(io.BytesIO(data))
        if img.format != "PNG":
            raise EngineError("mask: png is not a PNG image")
        img.load()
    except (binascii.Error, ValueError, OSError) as exc:
        raise EngineError(f"mask: cannot read the png ({exc})") from None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        grey = img.convert("RGBA").getchannel("A")
    else:
        grey = img.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.NEAREST)
    return grey.point(lambda v: 255 if v >= 128 else 0)


def rasterise(params: dict[str, Any], size: tuple[int, int]) -> tuple[Image.Image, list[str]]:
    """The union of ``params["rects"]`` (from the spec) and ``params["mask"]`` (rects,
    strokes, png, size, grow) as an "L" image of ``size``, and the sources used."""
    w, h = size
    mask = params.get("mask") or {}
    if not isinstance(mask, dict):
        raise EngineError("mask must be an object with rects, strokes and/or png")
    canvas = mask.get("size") or [w, h]
    try:
        sx, sy = w / _num(canvas[0], "size"), h / _num(canvas[1], "size")
    except (TypeError, IndexError, ZeroDivisionError):
        raise EngineError("mask: size is [width, height]") from None
    out = Image.new("L", size, 0)
    draw = ImageDraw.Draw(out)
    used: list[str] = []
    spec_rects = params.get("rects") or []
    for rects, fx, fy in ((spec_rects, 1.0, 1.0), (mask.get("rects") or [], sx, sy)):
        if len(rects) > MAX_SHAPES:
            raise EngineError(f"mask: at most {MAX_SHAPES} rects")
        for r in rects:
            if not isinstance(r, (list, tuple)) or len(r) != 4:
                raise EngineError("mask: each rect is [x, y, width, height]")
            x, y, rw, rh = (_num(v, "rect") for v in r)
            if rw > 0 and rh > 0:
                draw.rectangle([x * fx, y * fy, (x + rw) * fx - 1, (y + rh) * fy - 1], fill=255)
    if spec_rects:
        used.append("spec rects")
    if mask.get("rects"):
        used.append("rects")
    strokes = mask.get("strokes") or []
    if len(strokes) > MAX_SHAPES:
        raise EngineError(f"mask: at most {MAX_SHAPES} strokes")
    for stroke in strokes:
        if not isinstance(stroke, dict) or not isinstance(stroke.get("points"), (list, tuple)):
            raise EngineError('mask: each stroke is {"points": [[x, y], ...], "radius": r}')
        radius = _num(stroke.get("radius", 10), "stroke radius") * (sx + sy) / 2
        pts = []
        for p in stroke["points"]:
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise EngineError("mask: stroke points are [x, y] pairs")
            pts.append((_num(p[0], "point") * sx, _num(p[1], "point") * sy))
        if len(pts) > 1:
            draw.line(pts, fill=255, width=max(1, round(2 * radius)), joint="curve")
        for px, py in pts:  # round caps (and single-point dabs)
            draw.ellipse([px - radius, py - radius, px + radius, py + radius], fill=255)
    if strokes:
        used.append("strokes")
    if mask.get("png"):
        out = Image.fromarray(np.maximum(np.asarray(out), np.asarray(_png(mask["png"], size))))
        used.append("png")
    grow = min(int(_num(mask.get("grow") or 0, "grow")), MAX_GROW)
    for _ in range(grow):  # dilate 1 px per pass (a 3x3 max filter is cheap)
        out = out.filter(ImageFilter.MaxFilter(3))
    if not used:
        raise EngineError("erase needs a mask: rectangles in the spec (erase-<x>.<y>.<w>.<h>) "
                          "or params['mask'] with rects, strokes or png")
    return out, used


def summary(mask: Image.Image, used: list[str]) -> dict[str, Any]:
    """What provenance records: the mask's sources, the erased fraction of the image and the
    sha256 of the rasterised mask (1 bit per pixel, row-major, plus its size)."""
    bits = np.packbits(np.asarray(mask) > 127)
    digest = hashlib.sha256(f"{mask.width}x{mask.height}:".encode() + bits.tobytes())
    area = float((np.asarray(mask) > 127).mean())
    return {"from": used, "area": round(area, 6), "sha256": digest.hexdigest()}


def bbox(mask: Image.Image) -> tuple[int, int, int, int] | None:
    return mask.point(lambda v: 255 if v > 127 else 0).getbbox()
