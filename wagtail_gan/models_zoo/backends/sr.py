"""Super-resolution through spandrel (SPAN, Real-ESRGAN and any SR file spandrel detects),
tiled with overlap so memory is bounded by the tile size (a 1 MP x4 needs a few hundred MB,
not the 14 GB of a whole-image run), retrying with smaller tiles on OOM, with progress after
every tile. The runtime per device (onnxruntime or torch on a CPU; fp16, channels_last,
batched tiles on CUDA) is chosen by ``sr_runtime``.

SPAN files converted from ncnn may carry a non-default input mean (``4xSPANkendata``): it is
stored in the safetensors metadata (``rgb_mean``, JSON) and in the install manifest, and
applied by :func:`load_file`.

The output scale is ``params["scale"]`` when given, else the entry's scale, else the
model's: a 4x model asked for 2x (``upscale-2x`` when only the 4x model is installed) runs
at 4x, then a Lanczos downscale gives 2x.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime, tiling
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint, spandrel_descriptor


def not_installed_message(entry: registry.ModelEntry) -> str:
    if entry.origin == "dropin":
        return f"Model file for {entry.id!r} is missing from {gan_settings.models_dir}"
    return install_hint(entry)


def stored_rgb_mean(path: Path) -> tuple[float, float, float] | None:
    """The input mean recorded in a safetensors file's metadata (``rgb_mean``), or None."""
    if Path(path).suffix.lower() != ".safetensors":
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), "np") as fh:
            raw = (fh.metadata() or {}).get("rgb_mean")
    except Exception:  # spandrel reports unreadable files itself
        return None
    return _mean(raw)


def _mean(raw) -> tuple[float, float, float] | None:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
        if value is None:
            return None
        mean = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise EngineError(f"Bad rgb_mean {raw!r} recorded with the weights") from None
    if len(mean) != 3:
        raise EngineError(f"Bad rgb_mean {raw!r} recorded with the weights")
    return mean  # type: ignore[return-value]


def load_file(path: Path, device: str = "cpu", *, rgb_mean=None, dtype=None):
    """A spandrel ImageModelDescriptor (eval mode) for an SR weights file, ready to run: a
    SPAN model gets its recorded input mean (the file's metadata, else ``rgb_mean``, e.g.
    from the manifest) and is fused (``sr_runtime.fuse_span``)."""
    from .sr_runtime import fuse_span

    path = Path(path)
    desc = spandrel_descriptor(path, "ImageModelDescriptor")
    if desc is None or desc.purpose not in ("SR", "Restoration"):
        raise EngineError(f"{path.name} is not a super-resolution model")
    desc.eval()
    if desc.architecture.id == "SPAN":
        import torch

        mean = stored_rgb_mean(path) or _mean(rgb_mean)
        if mean is not None:
            desc.model.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        fuse_span(desc.model)
    if dtype is None:
        dtype = runtime.select_dtype(device, supports_half=desc.supports_half,
                                     supports_bf16=desc.supports_bfloat16)
    desc.to(device).to(dtype)
    return desc


def load(entry: registry.ModelEntry, device: str):
    """The spandrel ImageModelDescriptor for an entry (mean applied, fused), from the
    per-process cache."""
    path = _path(entry)
    manifest = registry.read_manifest(entry.id) or {}
    st = path.stat()
    return runtime.cache.get(("sr", entry.id, str(path), st.st_mtime, device),
                             lambda: load_file(path, device, rgb_mean=manifest.get("rgb_mean")),
                             lambda d: runtime.torch_module_bytes(d.model))


def _path(entry: registry.ModelEntry) -> Path:
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(not_installed_message(entry))
    return path


def runner_for(entry: registry.ModelEntry, device: str):
    """The tile function for an entry on ``device`` (``sr_runtime``), from the per-process
    cache: on a CPU with a valid ONNX export cached next to the weights, onnxruntime straight
    from it (spandrel is not even imported); else the model loaded through spandrel and the
    runtime ``sr_runtime.make_runner`` picks for it."""
    path = _path(entry)

    def loader():
        from .sr_runtime import OnnxRunner, RuntimeUnavailable, make_runner

        if device == "cpu" and (gan_settings.UPSCALE_CPU_RUNTIME or "").lower() != "torch":
            try:
                cached = OnnxRunner.from_cache(path)
            except RuntimeUnavailable:
                cached = None
            if cached is not None:
                return cached
        return make_runner(load(entry, device), path, device)

    st = path.stat()
    key = ("sr-runner", entry.id, str(path), st.st_mtime, device,
           gan_settings.UPSCALE_CPU_RUNTIME)
    return runtime.cache.get(key, loader, lambda r: 2 * st.st_size)


def run_model(desc, img: Image.Image, *, device: str, progress=None,
              tile: int | None = None, overlap: int | None = None, runner=None,
              batch: int | None = None) -> Image.Image:
    """Upscale ``img`` tile by tile (``progress`` after each tile) with ``runner`` (default:
    torch on ``device`` for the spandrel descriptor ``desc``)."""
    from .sr_runtime import TorchRunner

    tile = gan_settings.TILE_SIZE if tile is None else tile
    overlap = gan_settings.TILE_OVERLAP if overlap is None else overlap
    if batch is None:
        batch = int(gan_settings.UPSCALE_CUDA_BATCH) if device.startswith("cuda") else 1
    runner = runner or TorchRunner(desc, device)
    x = runtime.pil_to_uint8_tensor(img)
    out = tiling.run_tiled_with_oom_retry(runner, x, scale=runner.scale, tile=tile,
                                          overlap=overlap, progress=progress, device=device,
                                          batch=max(1, batch))
    return runtime.array_to_pil(out)


class SpandrelBackend(Backend):
    family = "spandrel"
    keep_greyscale = True

    def not_installed_message(self, entry: registry.ModelEntry) -> str:
        return not_installed_message(entry)

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        if entry.task != "upscale":
            raise EngineError(f"{entry.id!r} is not an upscale model")
        target = int(params["scale"]) if params.get("scale") else entry.scale
        if entry.scale:
            runtime.check_output_limits(rgb.width * entry.scale, rgb.height * entry.scale)
        runner = runner_for(entry, ctx.device)
        scale = runner.scale
        runtime.check_output_limits(rgb.width * scale, rgb.height * scale)
        out = run_model(None, rgb, device=ctx.device, progress=ctx.progress, runner=runner)
        extra: dict[str, Any] = dict(runner.describe())
        if getattr(runner, "fallback", None):
            extra["runtime_fallback"] = runner.fallback
        if target and scale != target:
            out = out.resize((rgb.width * target, rgb.height * target), Image.Resampling.LANCZOS)
            extra["via"] = f"{scale}x model, then Lanczos resize to {target}x"
        extra.update({"scale": target or scale, "model_scale": scale,
                      "tile": gan_settings.TILE_SIZE, "tile_overlap": gan_settings.TILE_OVERLAP})
        return out, extra
