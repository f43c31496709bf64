"""Background removal with rembg (family ``rembg``, onnxruntime).

rembg's own pre- and post-processing run unchanged (``rembg.remove`` with one of its session
classes: normalisation, input size, mask min-max scaling and resize), but the ONNX file is the
one our registry installed (pinned URL, hash recorded in the manifest): the session class is
subclassed so that its ``download_models`` returns our path, and rembg never downloads
anything at run time.

The entry's ``defaults["session"]`` names the rembg session class (its ``name()``:
``isnet-general-use``, ``u2net``, ``birefnet-general``, ``birefnet-general-lite`` ...).

Output: RGBA, the input's colours with the predicted alpha (rembg's ``putalpha`` cutout), or,
with ``params["background"]`` (hex, from ``removebg-<hex>``), RGB on that colour.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint

DEFAULT_SESSION = "isnet-general-use"


def session_class(name: str):
    """rembg's session class whose ``name()`` is ``name``, subclassed to load our file."""
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

    PinnedSession.__name__ = f"Pinned{cls.__name__}"
    return PinnedSession


def load(entry: registry.ModelEntry, device: str):
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(install_hint(entry))
    if path.is_dir():
        path = path / entry.filename if entry.filename else path
    name = str(entry.defaults.get("session") or DEFAULT_SESSION)

    def loader():
        import onnxruntime as ort

        cls = session_class(name)
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
    key = ("rembg", entry.id, name, str(path), st.st_mtime, device)
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
        if background is not None:
            flat = Image.new("RGB", cutout.size, background)
            flat.paste(cutout, mask=cutout.getchannel("A"))
            return flat, extra
        return cutout, extra
