"""Photo restoration with waifu2x's CUNet 1x denoisers (family ``waifu2x``), run by the ``ncnn``
package on the CPU (no Vulkan): the fastest CPU runtime for these graphs and the one they were
converted for, so there is nothing to check a port against.

* **Noise level** 0..3 (weak to strong JPEG-artefact removal): ``params["noise"]`` when given,
  else chosen from the source file's estimated JPEG quality (:func:`noise_level_for`, from
  ``benchmarks/bench_edits.py``), else the entry's ``default_level``. The level that ran and
  why are recorded with the result.
* **Geometry**: CUNet's output loses 28 px on each side and its stride-2 layers need the input
  sides to be multiples of 4. The image is reflect-padded by 28 px once, tiles (``tile``,
  overlap ``TILE_OVERLAP``) get 28 px of real neighbourhood (``tiling.tiled_apply(context=28)``)
  and each tile is padded on the right/bottom to a multiple of 4 and cropped back, so the
  output has exactly the input's size and position (never enlarged or shifted).
* ``ncnn.Mat(array)`` does not keep the numpy array alive: a reference is held until the
  extraction returns, else the output is garbage.
* The spec's strength (``restore-60``) blends the result with the input.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime, tiling
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint

CONTEXT = 28  # pixels CUNet 1x consumes on each side
MULTIPLE = 4  # its stride-2 layers need sides that are multiples of 4
INPUT_BLOB, OUTPUT_BLOB = "Input1", "Eltwise4"
LEVELS = (0, 1, 2, 3)
#: (lowest estimated JPEG quality, noise level), checked in order: the level with the best (or
#: within 0.15 dB of the best) mean PSNR gain per quality band on 5 photos in
#: benchmarks/bench_edits.py (RESULTS.md): 0 for light compression, 2 for heavy.
QUALITY_LEVELS = ((80, 0), (40, 1), (0, 2))


def noise_level_for(quality: int | None) -> int | None:
    """The noise level for a JPEG of estimated ``quality`` (None: not a JPEG)."""
    if quality is None:
        return None
    return next(level for low, level in QUALITY_LEVELS if quality >= low)


def model_files(folder: Path, level: int) -> tuple[Path, Path]:
    return folder / f"noise{level}_model.param", folder / f"noise{level}_model.bin"


def threads() -> int:
    return int(gan_settings.TORCH_THREADS or os.cpu_count() or 1)


class Waifu2xNet:
    """One loaded ncnn graph; ``__call__`` runs a (3, h, w) float32 0..1 array whose sides are
    multiples of 4, 28 px of context included, and returns (3, h - 56, w - 56). One call at
    a time (an ncnn extractor is not shared between threads)."""

    def __init__(self, param: Path, weights: Path, *, num_threads: int = 1):
        import ncnn

        self.net = ncnn.Net()
        self.net.opt.use_vulkan_compute = False
        self.net.opt.num_threads = num_threads
        if self.net.load_param(str(param)) != 0 or self.net.load_model(str(weights)) != 0:
            raise EngineError(f"ncnn cannot load {Path(param).name}/{Path(weights).name}")
        self.lock = threading.Lock()
        self.size = Path(weights).stat().st_size

    def __call__(self, chw: np.ndarray) -> np.ndarray:
        import ncnn

        chw = np.ascontiguousarray(chw, dtype=np.float32)  # held until extract returns
        with self.lock:
            ex = self.net.create_extractor()
            mat = ncnn.Mat(chw)
            ex.input(INPUT_BLOB, mat)
            ret, out = ex.extract(OUTPUT_BLOB)
            if ret != 0:
                raise EngineError(f"ncnn extract failed ({ret})")
            result = np.array(out, copy=True)
            del ex, mat
        del chw
        return result


def load(entry: registry.ModelEntry, level: int) -> Waifu2xNet:
    folder = registry.weights_path(entry)
    if folder is None:
        raise ModelNotInstalled(install_hint(entry))
    param, weights = model_files(folder, level)
    if not (param.is_file() and weights.is_file()):
        raise EngineError(f"{entry.id}: noise level {level} files missing in {folder}")
    n = threads()
    return runtime.cache.get(("waifu2x", entry.id, level, str(weights),
                              weights.stat().st_mtime, n),
                             lambda: Waifu2xNet(param, weights, num_threads=n),
                             lambda net: net.size)


def tile_function(net: Waifu2xNet):
    """The tiling callback: (1,3,h+56,w+56) tensor in 0..1 -> (1,3,h,w), via :class:`Waifu2xNet`
    with the right/bottom padded to multiples of 4 and cropped back."""
    import torch

    def call(piece):
        h, w = piece.shape[-2] - 2 * CONTEXT, piece.shape[-1] - 2 * CONTEXT
        arr = piece[0].float().cpu().numpy()
        ph, pw = (-arr.shape[1]) % MULTIPLE, (-arr.shape[2]) % MULTIPLE
        if ph or pw:
            arr = np.pad(arr, ((0, 0), (0, ph), (0, pw)), mode="edge")
        out = net(arr)[:, :h, :w]
        return torch.from_numpy(np.clip(out, 0.0, 1.0))[None]

    return call


def denoise(net: Waifu2xNet, rgb: Image.Image, *, tile: int, overlap: int,
            progress=None) -> Image.Image:
    """``rgb`` restored by ``net``, same size, tiled with 28 px of context per tile."""
    import torch

    arr = np.asarray(rgb.convert("RGB"), dtype=np.uint8)
    padded = np.pad(arr, ((CONTEXT, CONTEXT), (CONTEXT, CONTEXT), (0, 0)), mode="reflect")
    x = torch.from_numpy(np.ascontiguousarray(padded.transpose(2, 0, 1)))[None]
    out = tiling.run_tiled_with_oom_retry(tile_function(net), x, scale=1, tile=tile,
                                          overlap=overlap, progress=progress,
                                          context=CONTEXT)
    return runtime.array_to_pil(out)


def choose_level(entry: registry.ModelEntry, params: dict[str, Any],
                 quality: int | None) -> tuple[int, str]:
    """(noise level, why) for a run."""
    if params.get("noise") is not None:
        try:
            level = int(params["noise"])
        except (TypeError, ValueError):
            level = -1
        if level not in LEVELS:
            raise EngineError("noise must be 0, 1, 2 or 3")
        return level, "asked for"
    level = noise_level_for(quality)
    if level is not None:
        return level, f"estimated JPEG quality {quality}"
    return int(entry.defaults.get("default_level", 2)), "default (no JPEG quality tables)"


class Waifu2xBackend(Backend):
    family = "waifu2x"
    uses_torch = False  # ncnn computes; torch only slices the tiles

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        strength = ctx.blend_strength(params)
        level, why = choose_level(entry, params, ctx.jpeg_quality)
        net = load(entry, level)
        tile = int(entry.defaults.get("tile", gan_settings.TILE_SIZE))
        overlap = int(entry.defaults.get("tile_overlap", gan_settings.TILE_OVERLAP))
        out = denoise(net, rgb, tile=tile, overlap=overlap, progress=ctx.progress)
        if strength < 1.0:
            out = Image.blend(rgb, out, strength)
        return out, {"strength": round(strength * 100), "noise_level": level,
                     "noise_level_from": why, "jpeg_quality": ctx.jpeg_quality,
                     "architecture": "waifu2x CUNet 1x", "runtime": "ncnn",
                     "tile": tile, "tile_overlap": overlap}
