"""Super-resolution through spandrel (Real-ESRGAN and any SR file spandrel detects), tiled
with overlap so memory is bounded by the tile size, retrying with smaller tiles on OOM.

The output scale is ``params["scale"]`` when given, else the entry's scale, else the
model's: a 4x model asked for 2x (``upscale-2x`` when only the 4x model is installed) runs
at 4x, then a Lanczos downscale gives 2x.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime, tiling
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint


def not_installed_message(entry: registry.ModelEntry) -> str:
    if entry.origin == "dropin":
        return f"Model file for {entry.id!r} is missing from {gan_settings.models_dir}"
    return install_hint(entry)


def load(entry: registry.ModelEntry, device: str):
    """The spandrel ImageModelDescriptor for an entry, from the per-process cache."""
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(not_installed_message(entry))

    def loader():
        import spandrel

        try:
            desc = spandrel.ModelLoader(device="cpu").load_from_file(str(path))
        except spandrel.UnsupportedModelError:
            raise EngineError(f"{path.name} is not a model architecture spandrel knows") from None
        except Exception as exc:
            raise EngineError(f"Cannot load {path.name}: {type(exc).__name__}: {exc}") from None
        if not isinstance(desc, spandrel.ImageModelDescriptor) or desc.purpose not in (
            "SR", "Restoration"
        ):
            raise EngineError(f"{path.name} is not a super-resolution model")
        dtype = runtime.select_dtype(device, supports_half=desc.supports_half,
                                     supports_bf16=desc.supports_bfloat16)
        desc.to(device).to(dtype)
        desc.eval()
        return desc

    st = path.stat()
    key = ("sr", entry.id, str(path), st.st_mtime, device)
    return runtime.cache.get(key, loader, lambda d: runtime.torch_module_bytes(d.model))


def run_model(desc, img: Image.Image, *, device: str, progress=None,
              tile: int | None = None, overlap: int | None = None) -> Image.Image:
    import torch

    tile = gan_settings.TILE_SIZE if tile is None else tile
    overlap = gan_settings.TILE_OVERLAP if overlap is None else overlap
    dtype = next(desc.model.parameters()).dtype
    x = runtime.pil_to_uint8_tensor(img)

    def call(piece):
        with torch.inference_mode():
            return desc(piece.to(device=device, dtype=dtype))

    out = tiling.run_tiled_with_oom_retry(call, x, scale=desc.scale, tile=tile,
                                          overlap=overlap, progress=progress, device=device)
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
        desc = load(entry, ctx.device)
        runtime.check_output_limits(rgb.width * desc.scale, rgb.height * desc.scale)
        out = run_model(desc, rgb, device=ctx.device, progress=ctx.progress)
        extra: dict[str, Any] = {}
        if target and desc.scale != target:
            out = out.resize((rgb.width * target, rgb.height * target), Image.Resampling.LANCZOS)
            extra["via"] = f"{desc.scale}x model, then Lanczos resize to {target}x"
        extra.update({"scale": target or desc.scale, "model_scale": desc.scale,
                      "tile": gan_settings.TILE_SIZE, "tile_overlap": gan_settings.TILE_OVERLAP})
        return out, extra
