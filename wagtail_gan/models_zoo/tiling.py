"""Tiled inference: overlapping tiles stitched with linear feathering (no seams), memory
bounded by one band of tile rows, and a retry with smaller tiles on out-of-memory errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Progress = Callable[[float], None] | None


def tile_boxes(size: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Start/end of 1-D tiles of at most ``tile`` pixels that overlap by at least
    ``2 * overlap`` and cover ``size``: as few tiles as that allows, all the same length and
    evenly spaced, so no tile is mostly a repeat of its neighbour (a 1000 px side with 256 px
    tiles and 16 px overlap is 5 tiles of 226 px, not 5 of 256)."""
    if tile <= 0 or tile >= size:
        return [(0, size)]
    step = max(1, tile - 2 * overlap)
    n = max(2, math.ceil((size - 2 * overlap) / step))
    length = min(tile, math.ceil((size + (n - 1) * 2 * overlap) / n))
    starts = [round(i * (size - length) / (n - 1)) for i in range(n)]
    return [(s, s + length) for s in starts]


def tiled_apply(
    fn: Callable[[Any], Any],
    x,
    *,
    scale: int,
    tile: int,
    overlap: int,
    progress: Progress = None,
    batch: int = 1,
    context: int = 0,
) -> np.ndarray:
    """Run ``fn`` (a (1,C,h,w) -> (1,C,h*scale,w*scale) tensor function, output in [0,1]) over
    overlapping tiles and stitch them with linear feathering in the overlaps, so seams are
    invisible. Returns an HxWxC uint8 array.

    ``x`` may be uint8 (converted per tile) or float in [0,1]. Working memory is one band of
    tile rows (float accumulators of tile height x image width) plus the uint8 output:
    finished rows go straight into the output, nothing is held for the whole image in float.

    ``batch`` > 1 stacks up to that many tiles of a row into one call (tiles of a row have
    the same shape); ``progress`` is called after every call with the fraction of tiles done.

    ``context`` > 0: ``x`` is the image already padded by ``context`` pixels on every side;
    each piece ``fn`` gets has that much real neighbourhood (the padding at the image's edges)
    around its tile, and ``fn`` returns the tile's output only (for models whose output
    loses a border, such as waifu2x's CUNet).
    """
    import torch

    _, c, h, w = x.shape
    h, w = h - 2 * context, w - 2 * context
    ys = tile_boxes(h, tile, overlap)
    xs = tile_boxes(w, tile, overlap)
    out = np.empty((h * scale, w * scale, c), dtype=np.uint8)
    band = max(y1 - y0 for y0, y1 in ys) * scale
    # Channels first, like the model's output: every add below is over contiguous rows.
    acc = np.zeros((c, band, w * scale), dtype=np.float32)
    wacc = np.zeros((band, w * scale), dtype=np.float32)
    top = 0  # output row of acc[:, 0]
    total = len(ys) * len(xs)
    done = 0
    batch = max(1, int(batch))
    for r, (y0, y1) in enumerate(ys):
        for i in range(0, len(xs), batch):
            group = xs[i:i + batch]
            pieces = torch.cat([x[:, :, y0:y1 + 2 * context, x0:x1 + 2 * context]
                                for x0, x1 in group])
            if pieces.dtype == torch.uint8:
                pieces = pieces.float() / 255.0
            results = np.array(fn(pieces).detach().float().cpu().numpy(), copy=False)
            if not results.flags.writeable:
                results = results.copy()
            for (x0, x1), piece in zip(group, results, strict=True):
                ramp = _feather(y1 - y0, x1 - x0, overlap, y0 == 0, y1 == h, x0 == 0, x1 == w,
                                scale)
                ry0 = y0 * scale - top
                rows = slice(ry0, ry0 + piece.shape[1])
                cols = slice(x0 * scale, x1 * scale)
                np.multiply(piece, ramp, out=piece)
                acc[:, rows, cols] += piece
                wacc[rows, cols] += ramp
            done += len(group)
            if progress:
                progress(done / total)
        final = (ys[r + 1][0] * scale if r + 1 < len(ys) else h * scale) - top
        if final > 0:
            rows = acc[:, :final]
            np.divide(rows, np.maximum(wacc[:final], 1e-8), out=rows)
            np.clip(rows, 0.0, 1.0, out=rows)
            np.multiply(rows, 255.0, out=rows)
            np.add(rows, 0.5, out=rows)
            out[top:top + final] = rows.astype(np.uint8).transpose(1, 2, 0)
            keep = band - final  # rows the next tile row still adds to: shift them up
            acc[:, :keep] = acc[:, final:].copy()
            wacc[:keep] = wacc[final:].copy()
            acc[:, keep:] = 0
            wacc[keep:] = 0
            top += final
    return out


def _feather(th, tw, overlap, top, bottom, left, right, scale):
    """Per-tile blending weights: 1 in the middle, a linear ramp across the overlap on sides
    that touch another tile (and a small floor so weights never vanish)."""

    def ramp(n, start_edge, end_edge):
        r = np.ones(n * scale, dtype=np.float32)
        o = overlap * scale
        if o > 0 and n * scale > 2 * o:
            lin = (np.arange(o, dtype=np.float32) + 0.5) / o
            if not start_edge:
                r[:o] = lin
            if not end_edge:
                r[-o:] = lin[::-1]
        return np.maximum(r, 1e-3)

    return ramp(th, top, bottom)[:, None] * ramp(tw, left, right)[None, :]


def is_oom(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def run_tiled_with_oom_retry(fn, x, *, scale: int, tile: int, overlap: int, progress: Progress,
                             min_tile: int = 32, device: str = "cpu", batch: int = 1,
                             context: int = 0):
    """Tiled inference; on an out-of-memory error retry with one tile per call, then half the
    tile size."""
    current = tile if tile > 0 else max(x.shape[2], x.shape[3])
    while True:
        try:
            return tiled_apply(fn, x, scale=scale, tile=current, overlap=overlap,
                               progress=progress, batch=batch, context=context)
        except (RuntimeError, MemoryError) as exc:
            if not is_oom(exc) or (batch == 1 and current // 2 < min_tile):
                raise
            if batch > 1:
                batch = 1
                if device.startswith("cuda"):
                    import torch

                    torch.cuda.empty_cache()
                continue
            if device.startswith("cuda"):
                import torch

                torch.cuda.empty_cache()
            current = max(min_tile, current // 2)
            if overlap * 2 >= current:
                overlap = max(0, current // 8)
