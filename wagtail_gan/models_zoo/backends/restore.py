"""Photo restoration through spandrel (family ``spandrel_restore``): a 1x model whose purpose
is "Restoration" (SCUNet, NAFNet, DRUNet, FBCNN ... any architecture spandrel detects), tiled
with overlap like super-resolution so memory is bounded by the tile size. The spec's strength
(``restore-60``) blends the result with the input."""

from __future__ import annotations

from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime, tiling
from .base import Backend, RunContext, cached_spandrel_model


def load(entry: registry.ModelEntry, device: str):
    """The spandrel ImageModelDescriptor of a 1x restoration model, from the cache."""
    return cached_spandrel_model(
        entry, device, "ImageModelDescriptor",
        lambda d: d.scale == 1 and d.input_channels == 3 and d.output_channels == 3,
        "is not a 1x RGB restoration model")


class RestoreBackend(Backend):
    family = "spandrel_restore"

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        import torch

        strength = ctx.blend_strength(params)
        desc = load(entry, ctx.device)
        dtype = next(desc.model.parameters()).dtype
        tile = int(entry.defaults.get("tile", gan_settings.TILE_SIZE))
        overlap = int(entry.defaults.get("tile_overlap", gan_settings.TILE_OVERLAP))

        def call(piece):
            with torch.inference_mode():
                return desc(piece.to(device=ctx.device, dtype=dtype))

        x = runtime.pil_to_uint8_tensor(rgb)
        arr = tiling.run_tiled_with_oom_retry(call, x, scale=1, tile=tile, overlap=overlap,
                                              progress=ctx.progress, device=ctx.device)
        out = runtime.array_to_pil(arr)
        if strength < 1.0:
            out = Image.blend(rgb, out, strength)
        return out, {"strength": round(strength * 100), "architecture": desc.architecture.id,
                     "tile": tile, "tile_overlap": overlap}
