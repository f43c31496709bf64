"""Worker runtime: device and precision, torch threads, the per-process model cache, colour
handling of inputs (prepare/finish) and size limits. Tiled inference is in ``tiling``.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageChops, ImageCms, ImageOps

from wagtail_gan.conf import gan_settings

from .errors import EngineError, LimitExceeded

if TYPE_CHECKING:  # numpy is a worker dependency: imported where used
    import numpy as np

_threads_applied: int | None = None


def configure_threads() -> None:
    """Apply WAGTAIL_GAN["TORCH_THREADS"] once per process (and again if it changes)."""
    global _threads_applied
    wanted = gan_settings.TORCH_THREADS
    if wanted and wanted != _threads_applied and has_torch():
        import torch

        torch.set_num_threads(int(wanted))
        _threads_applied = int(wanted)


def has_torch() -> bool:
    """Whether torch is installed: a worker without it still runs the ONNX models (the style
    networks, background removal) on the CPU; torch models then fail with a clear message."""
    return importlib.util.find_spec("torch") is not None


def select_device(setting: str | None = None) -> str:
    """``auto`` picks cuda, then mps, then cpu; anything else is validated and returned.
    Without torch, ``auto`` and ``cpu`` are the CPU (ONNX models run there)."""
    setting = (setting or gan_settings.DEVICE or "auto").lower()
    if not has_torch():
        if setting in ("auto", "cpu"):
            return "cpu"
        raise EngineError(f"WAGTAIL_GAN['DEVICE'] is {setting!r} but torch is not installed: "
                          "pip install 'wagtail-gan[worker]'")
    import torch

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
    import numpy as np  # worker only: the web tier imports this module without numpy

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


def finish(prepared: Prepared, out_rgb: Image.Image, *, keep_greyscale: bool = False,
           padding: tuple[int, int, int, int] | None = None,
           background: tuple[int, int, int] | None = None) -> Image.Image:
    """Put alpha back and return a sensible mode: RGBA when the input had transparency or the
    backend predicted an alpha (an RGBA output: removebg's cut-out), L/LA for greyscale inputs
    when ``keep_greyscale``, else RGB. The rule is in docs/developer-guide/transparency.md.

    The input's alpha is resized to the output (a scale), or, with ``padding`` (left, top,
    right, bottom: expand), placed where the input is with its edges continued over the new
    border. A predicted alpha is multiplied with the input's, so pixels that were transparent
    stay transparent. With ``background`` (an RGB colour: ``removebg-<hex>``) the result is
    composited on that colour and opaque: what was transparent in the input is background
    too."""
    out = out_rgb
    predicted = None
    if out.mode == "RGBA":
        predicted = out.getchannel("A")
        out = out.convert("RGB")
    if keep_greyscale and prepared.greyscale:
        out = out.convert("L")
    alpha = prepared.alpha
    if alpha is not None:
        if padding and any(padding):
            import numpy as np  # worker only: the web tier imports this module without numpy

            left, top, right, bottom = padding
            alpha = Image.fromarray(np.pad(np.asarray(alpha), ((top, bottom), (left, right)),
                                           mode="edge"), "L")
        if alpha.size != out.size:
            alpha = alpha.resize(out.size, Image.Resampling.LANCZOS)
    if predicted is not None:
        alpha = predicted if alpha is None else ImageChops.multiply(alpha, predicted)
    if background is not None:
        flat = Image.new("RGB", out.size, tuple(background))
        flat.paste(out.convert("RGB"), mask=alpha)
        return flat
    if alpha is not None:
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
    import numpy as np
    import torch

    arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())[None]


def pil_to_uint8_tensor(img: Image.Image):
    """(1,3,H,W) uint8 view of an RGB image: 4x smaller than float; tiles convert themselves."""
    import numpy as np
    import torch

    arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())[None]


def array_to_pil(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(arr, "RGB")
