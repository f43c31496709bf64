"""Family -> backend: which class runs the models of each ``ModelEntry.family``.

``BACKENDS`` maps the built-in families to dotted paths; a site adds or replaces families
with ``WAGTAIL_GAN["BACKENDS"] = {"my_family": "myapp.backends.MyBackend"}`` (a dotted path
or a :class:`~.base.Backend` subclass). Adding a family touches one file (its backend) and
one line here; backend modules are imported only when a model of their family runs.
"""

from __future__ import annotations

import threading
from typing import Any

from django.utils.module_loading import import_string

from wagtail_gan.conf import gan_settings

from ..errors import EngineError
from .base import Backend, RunContext

__all__ = ["BACKENDS", "Backend", "RunContext", "backend_paths", "get_backend"]

_HERE = __name__

BACKENDS: dict[str, str] = {
    "spandrel": f"{_HERE}.sr.SpandrelBackend",
    "cyclegan": f"{_HERE}.cyclegan.CycleGANBackend",
    "onnx_multistyle": f"{_HERE}.style.MultistyleBackend",
    "onnx_arbitrary": f"{_HERE}.style.ArbitraryStyleBackend",
    "diffusers_pix2pix": f"{_HERE}.diffusion.DiffusersBackend",
    "diffusers_txt2img": f"{_HERE}.diffusion.DiffusersBackend",
    "dummy": f"{_HERE}.dummy.DummyBackend",
    "rife": f"{_HERE}.rife.RifeBackend",  # frame interpolation (wagtail_gan.video)
    "rembg": f"{_HERE}.matting.RembgBackend",
    "lama": f"{_HERE}.inpaint.LamaBackend",
    "spandrel_restore": f"{_HERE}.restore.RestoreBackend",
    "waifu2x": f"{_HERE}.waifu2x.Waifu2xBackend",
    "opencv_inpaint": f"{_HERE}.inpaint.OpenCVInpaintBackend",
}

_instances: dict[Any, Backend] = {}
_lock = threading.Lock()


def backend_paths() -> dict[str, Any]:
    """Built-in families, then the site's ``WAGTAIL_GAN["BACKENDS"]`` (which win)."""
    return {**BACKENDS, **(gan_settings.BACKENDS or {})}


def get_backend(family: str) -> Backend:
    """The (per-process, shared) backend instance for a family; :class:`EngineError` with the
    known families when there is none or it cannot be imported."""
    paths = backend_paths()
    target = paths.get(family)
    if not target:
        raise EngineError(
            f"No backend for model family {family!r}. Known families: "
            f"{', '.join(sorted(paths))} (add one with WAGTAIL_GAN['BACKENDS'])"
        )
    with _lock:
        if target in _instances:
            return _instances[target]
        cls = target
        if isinstance(target, str):
            try:
                cls = import_string(target)
            except ImportError as exc:
                raise EngineError(f"Backend {target!r} for model family {family!r} cannot be "
                                  f"imported: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise EngineError(f"Backend {target!r} for model family {family!r} is not a "
                              "wagtail_gan.models_zoo.backends.base.Backend subclass")
        _instances[target] = instance = cls()
        return instance
