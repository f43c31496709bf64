"""Background removal with rembg (family ``rembg``, onnxruntime).

rembg's own pre- and post-processing run unchanged (``rembg.remove`` with one of its session
classes: normalisation, input size, mask min-max scaling and resize), but the ONNX file is the
one our registry installed (pinned URL, hash recorded in the manifest): the session class is
subclassed so that its ``download_models`` returns our path, and rembg never downloads
anything at run time.

The entry's ``defaults["session"]`` names the rembg session class (its ``name()``:
``isnet-general-use``, ``u2net``, ``birefnet-general``, ``birefnet-general-lite`` ...).
``defaults["input_range"]`` (255 for ISNet) feeds the model ``RGB / 255`` as it was trained,
instead of rembg's ``RGB / max(RGB)`` (which brightens dark photos before the model sees
them); for the ISNet sessions the mask is then min-max normalised and resized back to the
image bilinearly in floating point (no Lanczos ringing: no halo around the cut-out).

Output: RGBA, the input's colours with the predicted alpha (rembg's ``putalpha`` cutout); with
``params["background"]`` (hex, from ``removebg-<hex>``) the engine composites it on that
colour (``runtime.finish``: opaque RGB, the input's transparent pixels are background too).
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint

DEFAULT_SESSION = "isnet-general-use"


def session_class(name: str, input_range: float | None = None):
    """rembg's session class whose ``name()`` is ``name``, subclassed to load our file (and,
    with ``input_range``, to scale the input by it instead of by the image's maximum)."""
    try:
        from rembg.sessions import sessions_class
    except ImportError:  # pragma: no cover - part of the worker extra
        raise ModelNotInstalled("Background removal needs rembg: "
                                "pip install 'wagtail-gan[worker]'") from None
    for cls in sessions_class:
        if cls.name() == name:
            break
    else:
        known = ", ".join(sorted(c.name() for c in sessions_class))
        raise EngineError(f"rembg has no session {name!r}; known: {known}")

    class PinnedSession(cls):  # type: ignore[misc, valid-type]
        """rembg's pre/post-processing, our weights file; never downloads."""

        @classmethod
        def download_models(cls, *args, **kwargs):
            return kwargs["wagtail_gan_path"]

        def normalize(self, img, mean, std, size, *args, **kwargs):
            if not input_range:
                return super().normalize(img, mean, std, size, *args, **kwargs)
            return {self.inner_session.get_inputs()[0].name:
                    model_input(img, mean, std, size, float(input_range))}

        if name.startswith("isnet"):
            def predict(self, img, *args, **kwargs):
                ort_outs = self.inner_session.run(
                    None, self.normalize(img, (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), (1024, 1024)))
                return [mask_image(ort_outs[0][0, 0], img.size)]

    PinnedSession.__name__ = f"Pinned{cls.__name__}"
    return PinnedSession


def model_input(img: Image.Image, mean, std, size, input_range: float):
    """(1,3,H,W) float32: ``(RGB / input_range - mean) / std`` at ``size`` (Lanczos)."""
    import numpy as np

    arr = np.asarray(img.convert("RGB").resize(size, Image.Resampling.LANCZOS),
                     dtype=np.float32) / np.float32(input_range)
    arr = (arr - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(arr.transpose(2, 0, 1))[None]


def mask_image(pred, size: tuple[int, int]) -> Image.Image:
    """The model's mask, min-max normalised, resized to ``size`` bilinearly in float (no
    ringing), rounded to 8 bits."""
    import numpy as np

    pred = np.asarray(pred, dtype=np.float32)
    lo, hi = float(pred.min()), float(pred.max())
    pred = (pred - lo) / (hi - lo) if hi > lo else np.zeros_like(pred)
    mask = Image.fromarray(pred, "F").resize(size, Image.Resampling.BILINEAR)
    arr = np.clip(np.asarray(mask) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "L")


def load(entry: registry.ModelEntry, device: str):
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(install_hint(entry))
    if path.is_dir():
        path = path / entry.filename if entry.filename else path
    name = str(entry.defaults.get("session") or DEFAULT_SESSION)
    input_range = entry.defaults.get("input_range")

    def loader():
        import onnxruntime as ort

        cls = session_class(name, input_range)
        opts = ort.SessionOptions()
        threads = int(gan_settings.TORCH_THREADS or 0)
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            return cls(name, opts, providers=providers, wagtail_gan_path=str(path))
        except Exception as exc:
            raise EngineError(f"Cannot load {path.name}: {type(exc).__name__}: {exc}") from None

    st = path.stat()
    key = ("rembg", entry.id, name, input_range, str(path), st.st_mtime, device)
    return runtime.cache.get(key, loader, lambda s: st.st_size)


def hex_colour(value: Any) -> tuple[int, int, int]:
    text = str(value or "").lstrip("#").lower()
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        if len(text) != 6:
            raise ValueError
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        raise EngineError(f"background must be a hex colour, got {value!r}") from None


class RembgBackend(Backend):
    family = "rembg"
    # uses_torch stays True (as for the ONNX style backends): the engine picks the device
    # (cuda -> onnxruntime's CUDA provider when it has one) and the thread setting.

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        from rembg import remove

        background = hex_colour(params["background"]) if params.get("background") else None
        device = "cuda" if ctx.device.startswith("cuda") else "cpu"
        session = load(entry, device)
        ctx.report(0.1)
        post = bool(params.get("post_process", entry.defaults.get("post_process", False)))
        cutout = remove(rgb, session=session, post_process_mask=post, putalpha=True)
        cutout = cutout.convert("RGBA")
        ctx.report(0.9)
        extra: dict[str, Any] = {"session": session.model_name, "post_process": post}
        if entry.defaults.get("input_range"):
            extra["input_range"] = entry.defaults["input_range"]
        if background is not None:  # the engine composites (with the input's own alpha)
            extra["composite_on"] = background
        return cutout, extra
