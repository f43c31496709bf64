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
import math
import struct
import warnings
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ..errors import EngineError

MAX_PNG_BYTES = 4 * 1024 * 1024
MAX_SHAPES = 500
MAX_GROW = 64
MAX_POINTS = 20_000
# Pixels drawing a mask may write, in image areas: beyond it the shapes are drawn on a
# smaller canvas (Pillow fills ~1e9 pixels a second: about 1 s for a 16-megapixel image).
PAINT_BUDGET = 64


def _num(value: Any, what: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0):
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
        # The size from the header, before any pixel is decoded: a small file can declare a
        # huge canvas (20000x20000 in 63 KB), which would take gigabytes to decode.
        check_png_size(png_header_size(data), size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
        if img.format != "PNG":
            raise EngineError("mask: png is not a PNG image")
        check_png_size(img.size, size)
        img.load()
    except (binascii.Error, ValueError, OSError, Image.DecompressionBombError) as exc:
        raise EngineError(f"mask: cannot read the png ({first_line(exc)})") from None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        grey = img.convert("RGBA").getchannel("A")
    else:
        grey = img.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.NEAREST)
    return grey.point(lambda v: 255 if v >= 128 else 0)


def png_header_size(data: bytes) -> tuple[int, int]:
    """A PNG's (width, height) from its IHDR chunk (EngineError when there is none)."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise EngineError("mask: png is not a PNG image")
    return struct.unpack(">II", data[16:24])


def check_png_size(png: tuple[int, int], image: tuple[int, int]) -> None:
    """EngineError for a mask PNG larger than the image it masks (either way round: the
    source's EXIF orientation may turn it)."""
    pw, ph = png
    w, h = image
    if pw * ph > w * h or max(pw, ph) > max(w, h):
        raise EngineError(f"mask: the png is {pw}x{ph} pixels, larger than the image "
                          f"({w}x{h}); send it at the image's size or smaller")


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _clip(p: tuple[float, float], q: tuple[float, float], box: tuple[float, float, float, float]):
    """The part of segment ``p``-``q`` inside ``box`` (x0, y0, x1, y1), or None (Liang-Barsky):
    a segment from far outside the image is drawn only where it can paint."""
    x0, y0, x1, y1 = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    lo, hi = 0.0, 1.0
    for d, dist in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if d == 0:
            if dist < 0:
                return None
            continue
        t = dist / d
        if d < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return None
    return ((p[0] + lo * dx, p[1] + lo * dy), (p[0] + hi * dx, p[1] + hi * dy))


class _Shapes:
    """What a mask paints, in pixels of the image, clamped to it; ``cost`` estimates the
    pixels drawing them writes (each shape's area within the image), computed before any
    pixel is drawn."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.area = size[0] * size[1]
        self.rects: list[tuple[float, float, float, float]] = []
        self.discs: list[tuple[float, float, float]] = []
        self.lines: list[tuple[tuple[float, float], tuple[float, float], float]] = []
        self.cost = 0.0

    def rect(self, x: float, y: float, rw: float, rh: float) -> None:
        w, h = self.size
        x0, y0, x1, y1 = max(0.0, x), max(0.0, y), min(float(w), x + rw), min(float(h), y + rh)
        if x1 > x0 and y1 > y0:
            self.rects.append((x0, y0, x1, y1))
            self.cost += (x1 - x0) * (y1 - y0) + (y1 - y0)

    def stroke(self, points: list[tuple[float, float]], radius: float) -> None:
        w, h = self.size
        r = min(radius, math.hypot(w, h))  # a larger brush paints no more of the image
        box = (-r, -r, w + r, h + r)
        side = min(2 * r + 1, max(w, h))
        for px, py in points:  # round caps (and single-point dabs)
            if box[0] <= px <= box[2] and box[1] <= py <= box[3]:
                self.discs.append((px, py, r))
                self.cost += min(side * side, self.area) + side
        for p, q in zip(points, points[1:], strict=False):
            seg = _clip(p, q, box)
            if seg is not None:
                self.lines.append((seg[0], seg[1], r))
                length = math.hypot(seg[1][0] - seg[0][0], seg[1][1] - seg[0][1])
                self.cost += min(length * (2 * r + 1), self.area) + side

    def draw(self) -> Image.Image:
        """The shapes as an "L" image of ``size``. Rectangles are drawn at full size (a fill
        of at most 516 image areas); strokes too within :data:`PAINT_BUDGET`, beyond it on a
        proportionally smaller canvas scaled up: the time is bounded whatever the request,
        and a mask that paints that much is coarse anyway."""
        w, h = self.size
        out = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(out)
        for x0, y0, x1, y1 in self.rects:
            draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=255)
        if not (self.lines or self.discs):
            return out
        budget = PAINT_BUDGET * self.area
        f = 1.0 if self.cost <= budget else math.sqrt(budget / self.cost)
        cw, ch = max(1, math.ceil(w * f)), max(1, math.ceil(h * f))
        strokes = out if f == 1.0 else Image.new("L", (cw, ch), 0)
        draw = ImageDraw.Draw(strokes)
        for p, q, r in self.lines:
            draw.line([(p[0] * f, p[1] * f), (q[0] * f, q[1] * f)], fill=255,
                      width=max(1, round(2 * r * f)))
        for px, py, r in self.discs:
            rf = max(0.5, r * f)
            draw.ellipse([px * f - rf, py * f - rf, px * f + rf, py * f + rf], fill=255)
        if strokes is not out:
            strokes = strokes.resize((w, h), Image.Resampling.BILINEAR).point(
                lambda v: 255 if v >= 128 else 0)
            out = Image.fromarray(np.maximum(np.asarray(out), np.asarray(strokes)))
        return out


def dilate(mask: Image.Image, n: int) -> Image.Image:
    """``mask`` grown by ``n`` pixels (a (2n+1)-pixel square, as ``n`` 3x3 max filters) in
    O(log n) passes of shifted maxima: 64 px on 16 megapixels in a fraction of a second."""
    a = np.array(mask)
    for axis in (0, 1):
        done = 0
        while done < n:
            step = min(done + 1, n - done)  # the window grows from done to done + step
            src = a.copy()
            lo, hi = [slice(None)] * 2, [slice(None)] * 2
            lo[axis], hi[axis] = slice(step, None), slice(None, -step)
            np.maximum(a[tuple(lo)], src[tuple(hi)], out=a[tuple(lo)])
            np.maximum(a[tuple(hi)], src[tuple(lo)], out=a[tuple(hi)])
            done += step
    return Image.fromarray(a)


def rasterise(params: dict[str, Any], size: tuple[int, int]) -> tuple[Image.Image, list[str]]:
    """The union of ``params["rects"]`` (from the spec) and ``params["mask"]`` (rects,
    strokes, png, size, grow) as an "L" image of ``size``, and the sources used. Bounded
    work whatever the mask: shapes are clamped to the image (a brush larger than the image's
    diagonal paints as that), drawn within :data:`PAINT_BUDGET`, and a PNG's size is read
    from its header and refused beyond the image's before it is decoded."""
    w, h = size
    mask = params.get("mask") or {}
    if not isinstance(mask, dict):
        raise EngineError("mask must be an object with rects, strokes and/or png")
    canvas = mask.get("size") or [w, h]
    try:
        cx, cy = _num(canvas[0], "size"), _num(canvas[1], "size")
        sx, sy = w / cx, h / cy
    except (TypeError, IndexError, KeyError, ZeroDivisionError):
        raise EngineError("mask: size is [width, height]") from None
    shapes = _Shapes(size)
    used: list[str] = []
    spec_rects = params.get("rects") or []
    for rects, fx, fy in ((spec_rects, 1.0, 1.0), (mask.get("rects") or [], sx, sy)):
        if not isinstance(rects, (list, tuple)) or len(rects) > MAX_SHAPES:
            raise EngineError(f"mask: rects is a list of at most {MAX_SHAPES}")
        for r in rects:
            if not isinstance(r, (list, tuple)) or len(r) != 4:
                raise EngineError("mask: each rect is [x, y, width, height]")
            x, y, rw, rh = (_num(v, "rect") for v in r)
            shapes.rect(x * fx, y * fy, rw * fx, rh * fy)
    if spec_rects:
        used.append("spec rects")
    if mask.get("rects"):
        used.append("rects")
    strokes = mask.get("strokes") or []
    if not isinstance(strokes, (list, tuple)) or len(strokes) > MAX_SHAPES:
        raise EngineError(f"mask: strokes is a list of at most {MAX_SHAPES}")
    total = 0
    for stroke in strokes:
        if not isinstance(stroke, dict) or not isinstance(stroke.get("points"), (list, tuple)):
            raise EngineError('mask: each stroke is {"points": [[x, y], ...], "radius": r}')
        total += len(stroke["points"])
        if total > MAX_POINTS:
            raise EngineError(f"mask: at most {MAX_POINTS} stroke points in all")
        pts = []
        for p in stroke["points"]:
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise EngineError("mask: stroke points are [x, y] pairs")
            pts.append((_num(p[0], "point") * sx, _num(p[1], "point") * sy))
        shapes.stroke(pts, max(0.5, _num(stroke.get("radius", 10), "stroke radius")
                               * (sx + sy) / 2))
    if strokes:
        used.append("strokes")
    out = shapes.draw()
    if mask.get("png"):
        out = Image.fromarray(np.maximum(np.asarray(out), np.asarray(_png(mask["png"], size))))
        used.append("png")
    grow = min(int(_num(mask.get("grow") or 0, "grow")), MAX_GROW)
    if grow:
        out = dilate(out, grow)
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
