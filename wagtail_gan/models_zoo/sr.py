"""Super-resolution through spandrel (Real-ESRGAN and any SR file spandrel detects), tiled
with overlap so memory is bounded by the tile size, retrying with smaller tiles on OOM."""

from __future__ import annotations

from PIL import Image

from wagtail_gan.conf import gan_settings

from . import registry, runtime, tiling
from .errors import EngineError, ModelNotInstalled


def not_installed_message(entry: registry.ModelEntry) -> str:
    if entry.origin == "dropin":
        return f"Model file for {entry.id!r} is missing from {gan_settings.models_dir}"
    return (
        f"Model {entry.id!r} is not installed: run `manage.py gan_models install {entry.id}`"
        + (" (works offline)" if entry.installable_offline else "")
    )


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


def upscale(img: Image.Image, params: dict, *, device: str, progress=None):
    """Returns (image, entry, extra params). ``params``: {"scale": 2|4} or {"model": id}."""
    extra: dict = {}
    target_scale = None
    if "model" in params:
        entry = registry.get(params["model"])
        if entry.task != "upscale":
            raise EngineError(f"{entry.id!r} is not an upscale model")
    else:
        target_scale = int(params.get("scale", 4))
        entry = registry.default_for(f"upscale-{target_scale}x")
        if target_scale == 2 and not registry.is_installed(entry):
            # No 2x model installed: the 4x model followed by a high-quality downscale.
            four = registry.default_for("upscale-4x")
            if registry.is_installed(four):
                entry = four
                extra["via"] = "4x model, then Lanczos downscale to 2x"
    if entry.scale:
        runtime.check_output_limits(img.width * entry.scale, img.height * entry.scale)
    desc = load(entry, device)
    runtime.check_output_limits(img.width * desc.scale, img.height * desc.scale)
    out = run_model(desc, img, device=device, progress=progress)
    if target_scale and desc.scale != target_scale:
        out = out.resize((img.width * target_scale, img.height * target_scale),
                         Image.Resampling.LANCZOS)
    extra.update({"scale": target_scale or desc.scale, "model_scale": desc.scale,
                  "tile": gan_settings.TILE_SIZE, "tile_overlap": gan_settings.TILE_OVERLAP})
    return out, entry, extra
