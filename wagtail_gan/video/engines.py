"""Where in-between frames come from (worker side).

* ``blend`` - a linear cross-fade of the two frames (numpy, no model): always available, so
  the whole pipeline (decode, timing, audio, encode) runs and is testable offline;
* ``model`` (the default) - the registry's ``interpolate`` model (RIFE 4.6,
  ``models_zoo/backends/rife.py``), with the site's threads and device; a missing model raises
  ``ModelNotInstalled`` whose one line names the install command.

Each engine records what made the frames (``model_id``, ``model_sha256``, ``params``), the
same provenance an image variant carries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from wagtail_gan.models_zoo import engine as zoo_engine
from wagtail_gan.models_zoo import registry, runtime
from wagtail_gan.models_zoo.backends import get_backend
from wagtail_gan.models_zoo.errors import EngineError, ModelNotInstalled

ENGINES = ("model", "blend")
MODEL_KEY = "interpolate"


class Interpolator(Protocol):
    def between(self, a: np.ndarray, b: np.ndarray, times: list[float]) -> list[np.ndarray]: ...


@dataclass
class Engine:
    name: str
    interpolator: Interpolator
    model_id: str
    model_sha256: str
    params: dict[str, Any] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        return {"engine": self.name, "model_id": self.model_id,
                "model_sha256": self.model_sha256, "engine_params": self.params}


class Blend:
    """Cross-fade: ``(1 - t) * a + t * b``."""

    def between(self, a: np.ndarray, b: np.ndarray, times: list[float]) -> list[np.ndarray]:
        fa, fb = a.astype(np.float32), b.astype(np.float32)
        return [np.clip(fa + (fb - fa) * float(t) + 0.5, 0, 255).astype(np.uint8)
                for t in times]


def blend_engine() -> Engine:
    return Engine("blend", Blend(), "blend",
                  hashlib.sha256(b"wagtail-gan:blend:1").hexdigest(), {"method": "linear"})


def model_engine(params: dict[str, Any] | None = None) -> Engine:
    """The registry's interpolation model, loaded (raises ``EngineError`` subclasses)."""
    try:
        entry = registry.resolve(MODEL_KEY)
    except (registry.UnknownModel, registry.InvalidModelId) as exc:
        raise EngineError(str(exc)) from None
    backend = get_backend(entry.family)
    if not hasattr(backend, "interpolator"):
        raise EngineError(f"Model {entry.id!r} ({entry.family}) cannot interpolate frames")
    if not backend.is_installed(entry):
        raise ModelNotInstalled(backend.not_installed_message(entry)
                                + " (or use --engine blend, a cross-fade without a model)")
    runtime.configure_threads()
    device = runtime.select_device()
    interpolator = backend.interpolator(entry, device=device, params=params)
    recorded = {"device": device, **(params or {})}
    return Engine("model", interpolator, entry.id, zoo_engine.model_sha256(entry), recorded)


def get_engine(name: str, params: dict[str, Any] | None = None) -> Engine:
    if name == "blend":
        return blend_engine()
    if name == "model":
        return model_engine(params)
    raise ValueError(f"Unknown engine {name!r}: use one of {', '.join(ENGINES)}")
