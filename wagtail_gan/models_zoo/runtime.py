"""Worker runtime: device and precision, torch threads, the per-process model cache, colour
handling of inputs, limits and tiled inference.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageCms, ImageOps

from wagtail_gan.conf import gan_settings

from .errors import EngineError, LimitExceeded

Progress = Callable[[float], None] | None

_threads_applied: int | None = None


def configure_threads() -> None:
    """Apply WAGTAIL_GAN["TORCH_THREADS"] once per process (and again if it changes)."""
    global _threads_applied
    wanted = gan_settings.TORCH_THREADS
    if wanted and wanted != _threads_applied:
        import torch

        torch.set_num_threads(int(wanted))
        _threads_applied = int(wanted)


def select_device(setting: str | None = None) -> str:
    """``auto`` picks cuda, then mps, then cpu; anything else is validated and returned."""
    import torch

    setting = (setting or gan_settings.DEVICE or "auto").lower()
    if setting == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if setting == "cpu":
        return "cpu"
    if setting.startswith("cuda"):
        if not torch.cuda.is_available():
            raise EngineError(f"WAGTAIL_GAN['DEVICE'] is {setting!r} but CUDA is not available")
        return setting
    if setting == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise EngineError("WAGTAIL_GAN['DEVICE'] is 'mps' but MPS is not available")
        return "mps"
    raise EngineError(f"Unknown WAGTAIL_GAN['DEVICE'] {setting!r}: use auto, cpu, cuda, cuda:N, mps")


def select_dtype(device: str, *, supports_half: bool = True, supports_bf16: bool = False):
    import torch

    precision = (gan_settings.PRECISION or "auto").lower()
    if device == "cpu":
        return torch.float32
    if precision == "fp16" or (precision == "auto" and device.startswith("cuda") and supports_half):
        return torch.float16 if supports_half else torch.float32
    if precision == "bf16" and supports_bf16:
        return torch.bfloat16
    return torch.float32


# -- model cache ---------------------------------------------------------------------------


class ModelCache:
    """LRU of loaded models within ``MODEL_CACHE_MB``; a second job never reloads a model."""

    def __init__(self) -> None:
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.RLock()
        self._key_locks: dict[Any, threading.Lock] = {}
        self.loads = 0

    def get(self, key: Any, loader: Callable[[], Any], size_bytes: Callable[[Any], int] | None = None):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one load per key even with several worker threads
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key][0]
            value = loader()
            self.loads += 1
            size = size_bytes(value) if size_bytes else 0
            with self._lock:
                self._items[key] = (value, size)
                self._evict()
            return value

    def _evict(self) -> None:
        budget = int(gan_settings.MODEL_CACHE_MB) * 1024 * 1024
        while len(self._items) > 1 and sum(s for _, s in self._items.values()) > budget:
            self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def keys(self) -> list[Any]:
        with self._lock:
            return list(self._items)


cache = ModelCache()


def torch_module_bytes(module: Any) -> int:
    total = 0
    for p in list(module.parameters()) + list(module.buffers()):
        total += p.numel() * p.element_size()
    return total


# -- images in and out ---------------------------------------------------------------------


@dataclass
class Prepared:
    """An input split into what models see (8-bit RGB) and what is put back afterwards."""

    rgb: Image.Image
    alpha: Image.Image | None
    greyscale: bool
    original_mode: str


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit / 32-bit integer and float greyscale to 8-bit L (full range preserved)."""
    arr = np.asarray(img)
    if img.mode == "F":
        hi = 1.0 if float(arr.max(initial=0.0)) <= 1.0 else 255.0
        arr = np.clip(arr / hi * 255.0, 0, 255)
    else:
        arr = arr.astype(np.float64)
        # I;16 is always 16-bit; "I" (32-bit) is usually a 16-bit PNG, 8-bit when it fits.
        if img.mode.startswith("I;16") or float(arr.max(initial=0)) > 255:
            hi = 65535.0
        else:
            hi = 255.0
        arr = np.clip(arr / hi * 255.0, 0, 255)
    return Image.fromarray((arr + 0.5).astype(np.uint8), "L")


def prepare(image: Image.Image) -> Prepared:
    """Normalise any Pillow image into 8-bit RGB (+ separate alpha).

    EXIF orientation is applied; palette images with transparency keep it as alpha; LA keeps
    alpha; CMYK goes through its ICC profile when it has one; 16-bit and float greyscale are
    scaled (not clipped) to 8 bits; an animated image uses its first frame.
    """
    if not isinstance(image, Image.Image):
        raise EngineError("Input is not an image")
    if getattr(image, "is_animated", False):
        image.seek(0)
    try:
        image.load()
        mode = image.mode
        img = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError) as exc:
        raise EngineError(f"Cannot read image: {exc}") from None
    if img.width < 1 or img.height < 1:
        raise EngineError("Image has no pixels")
    greyscale = mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
    alpha = None
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    elif mode == "PA":
        img = img.convert("RGBA")
    if mode in ("I", "F") or mode.startswith("I;16"):
        img = _to_8bit(img)
    if img.mode == "CMYK":
        img = _cmyk_to_rgb(img)
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        img = img.convert("RGBA") if img.mode != "LA" else img
        alpha = img.getchannel("A")
        if alpha.getextrema() == (255, 255):
            alpha = None
    rgb = img.convert("RGB")
    return Prepared(rgb=rgb, alpha=alpha, greyscale=greyscale, original_mode=mode)


def _cmyk_to_rgb(img: Image.Image) -> Image.Image:
    icc = img.info.get("icc_profile")
    if icc:
        try:
            import io

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            return ImageCms.profileToProfile(img, src, dst, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    # No profile: Pillow's naive conversion (Adobe's inverted CMYK JPEGs are already
    # un-inverted by Pillow's decoder).
    return img.convert("RGB")


def finish(prepared: Prepared, out_rgb: Image.Image, *, keep_greyscale: bool = False) -> Image.Image:
    """Put alpha back (resized to the output) and return a sensible mode: RGBA when the input
    had transparency, L/LA for greyscale inputs when ``keep_greyscale``, else RGB."""
    out = out_rgb
    if keep_greyscale and prepared.greyscale:
        out = out.convert("L")
    if prepared.alpha is not None:
        alpha = prepared.alpha
        if alpha.size != out.size:
            alpha = alpha.resize(out.size, Image.Resampling.LANCZOS)
        out = out.convert("LA" if out.mode == "L" else "RGBA")
        out.putalpha(alpha)
    return out


def check_input_limits(image: Image.Image) -> None:
    pixels = image.width * image.height
    limit = int(gan_settings.MAX_INPUT_PIXELS)
    if pixels > limit:
        raise LimitExceeded(
            f"Input is {image.width}x{image.height} = {pixels:,} pixels; the limit "
            f"(WAGTAIL_GAN['MAX_INPUT_PIXELS']) is {limit:,}"
        )


def check_output_limits(width: int, height: int, what: str = "Output") -> None:
    pixels = width * height
    limit = int(gan_settings.MAX_OUTPUT_PIXELS)
    if pixels > limit:
        raise LimitExceeded(
            f"{what} would be {width}x{height} = {pixels:,} pixels; the limit "
            f"(WAGTAIL_GAN['MAX_OUTPUT_PIXELS']) is {limit:,}"
        )


def pil_to_tensor(img: Image.Image):
    import torch

    arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())[None]


def pil_to_uint8_tensor(img: Image.Image):
    """(1,3,H,W) uint8 view of an RGB image: 4x smaller than float; tiles convert themselves."""
    import torch

    arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())[None]


def array_to_pil(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(arr, "RGB")


# -- tiling --------------------------------------------------------------------------------


def tile_boxes(size: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Start/end of 1-D tiles of ``tile`` pixels that overlap by ``overlap`` and cover ``size``."""
    if tile <= 0 or tile >= size:
        return [(0, size)]
    step = max(1, tile - 2 * overlap)
    starts = list(range(0, max(size - tile, 0) + 1, step))
    if starts[-1] + tile < size:
        starts.append(size - tile)
    return [(s, s + tile) for s in starts]


def tiled_apply(
    fn: Callable[[Any], Any],
    x,
    *,
    scale: int,
    tile: int,
    overlap: int,
    progress: Progress = None,
) -> np.ndarray:
    """Run ``fn`` (a (1,C,h,w) -> (1,C,h*scale,w*scale) tensor function, output in [0,1]) over
    overlapping tiles and stitch them with linear feathering in the overlaps, so seams are
    invisible. Returns an HxWxC uint8 array.

    ``x`` may be uint8 (converted per tile) or float in [0,1]. Working memory is one band of
    tile rows (float accumulators of tile height x image width) plus the uint8 output:
    finished rows go straight into the output, nothing is held for the whole image in float.
    """
    import torch

    _, c, h, w = x.shape
    ys = tile_boxes(h, tile, overlap)
    xs = tile_boxes(w, tile, overlap)
    out = np.empty((h * scale, w * scale, c), dtype=np.uint8)
    band = max(y1 - y0 for y0, y1 in ys) * scale
    acc = np.zeros((band, w * scale, c), dtype=np.float32)
    wacc = np.zeros((band, w * scale, 1), dtype=np.float32)
    top = 0  # output row of acc[0]
    total = len(ys) * len(xs)
    done = 0
    for r, (y0, y1) in enumerate(ys):
        for x0, x1 in xs:
            piece = x[:, :, y0:y1, x0:x1]
            if piece.dtype == torch.uint8:
                piece = piece.float() / 255.0
            piece = fn(piece)
            piece = piece.detach().float().cpu().numpy()[0].transpose(1, 2, 0)
            ramp = _feather(y1 - y0, x1 - x0, overlap, y0 == 0, y1 == h, x0 == 0, x1 == w, scale)
            ry0 = y0 * scale - top
            acc[ry0:ry0 + piece.shape[0], x0 * scale:x1 * scale] += piece * ramp
            wacc[ry0:ry0 + piece.shape[0], x0 * scale:x1 * scale] += ramp
            done += 1
            if progress:
                progress(done / total)
        final = (ys[r + 1][0] * scale if r + 1 < len(ys) else h * scale) - top
        if final > 0:
            rows = acc[:final] / np.maximum(wacc[:final], 1e-8)
            out[top:top + final] = (np.clip(rows, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
            keep = band - final  # rows the next tile row still adds to: shift them up
            acc[:keep] = acc[final:].copy()
            wacc[:keep] = wacc[final:].copy()
            acc[keep:] = 0
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

    return (ramp(th, top, bottom)[:, None] * ramp(tw, left, right)[None, :])[:, :, None]


def is_oom(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def run_tiled_with_oom_retry(fn, x, *, scale: int, tile: int, overlap: int, progress: Progress,
                             min_tile: int = 32, device: str = "cpu"):
    """Tiled inference; on an out-of-memory error retry with half the tile size."""
    current = tile if tile > 0 else max(x.shape[2], x.shape[3])
    while True:
        try:
            return tiled_apply(fn, x, scale=scale, tile=current, overlap=overlap, progress=progress)
        except (RuntimeError, MemoryError) as exc:
            if not is_oom(exc) or current // 2 < min_tile:
                raise
            if device.startswith("cuda"):
                import torch

                torch.cuda.empty_cache()
            current = max(min_tile, current // 2)
            if overlap * 2 >= current:
                overlap = max(0, current // 8)
