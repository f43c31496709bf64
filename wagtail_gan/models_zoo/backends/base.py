"""The backend interface: one class per model family (``ModelEntry.family``).

The engine does the shared work once (limits, colour modes, alpha, EXIF, threads, device,
progress, seed and prompt checks, timing, provenance) and hands a backend an 8-bit RGB image
and a :class:`RunContext`. A backend loads the entry's weights (through ``runtime.cache``),
runs the model and returns ``(RGB image, extra params to record)``.

Backend modules import torch, diffusers, onnxruntime... inside their functions only, so the
registry of backends (``backends/__init__.py``) can be read without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from .. import registry
from ..errors import EngineError


def spandrel_descriptor(path, kind):
    """Load a weights file with spandrel; ``kind`` is the descriptor class the backend needs
    (``ImageModelDescriptor``, ``MaskedImageModelDescriptor``), given as a name. Clear
    EngineErrors for files spandrel does not know or cannot read."""
    import spandrel

    try:
        desc = spandrel.ModelLoader(device="cpu").load_from_file(str(path))
    except spandrel.UnsupportedModelError:
        raise EngineError(f"{path.name} is not a model architecture spandrel knows") from None
    except Exception as exc:
        raise EngineError(f"Cannot load {path.name}: {type(exc).__name__}: {exc}") from None
    return desc if isinstance(desc, getattr(spandrel, kind)) else None


def cached_spandrel_model(entry: registry.ModelEntry, device: str, kind: str,
                          accept: Callable[[Any], bool], refusal: str):
    """The spandrel descriptor of ``entry``'s installed file, on ``device`` in its dtype, from
    the per-process model cache; ``accept(desc)`` False raises EngineError(``refusal``)."""
    from .. import runtime
    from ..errors import ModelNotInstalled

    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(install_hint(entry))

    def loader():
        desc = spandrel_descriptor(path, kind)
        if desc is None or not accept(desc):
            raise EngineError(f"{path.name} {refusal}")
        dtype = runtime.select_dtype(device, supports_half=desc.supports_half,
                                     supports_bf16=desc.supports_bfloat16)
        desc.to(device).to(dtype)
        desc.eval()
        return desc

    key = (kind, entry.id, str(path), path.stat().st_mtime, device)
    return runtime.cache.get(key, loader, lambda d: runtime.torch_module_bytes(d.model))


def install_hint(entry: registry.ModelEntry) -> str:
    """``Model 'x' is not installed: run `manage.py gan_models install x```..."""
    return (
        f"Model {entry.id!r} is not installed: run `manage.py gan_models install {entry.id}`"
        + (" (works offline)" if entry.installable_offline else "")
    )


@dataclass
class RunContext:
    """What the engine knows about one run besides the image and the spec's params.

    ``strength`` is already checked to be in 0..1 (None: not given); ``seed`` is set for
    tasks in ``registry.PROMPT_TASKS`` (random when not given) and None otherwise;
    ``progress`` takes a fraction 0..1 (already clamped and monotonic) or is None;
    ``jpeg_quality`` is the input file's estimated JPEG quality (``jpeg.jpeg_quality``; None
    for other formats or an image that is no longer the decoded file)."""

    device: str = "cpu"
    progress: Callable[[float], None] | None = None
    seed: int | None = None
    prompt: str | None = None
    strength: float | None = None
    style_image: Image.Image | None = None
    steps: int | None = None
    guidance: float | None = None
    preserve_color: bool = False
    jpeg_quality: int | None = None

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(fraction)

    def blend_strength(self, params: dict[str, Any]) -> float:
        """0..1 blend of the result with the input: the run's ``strength``, else the spec's
        ``strength`` parameter (1..100, e.g. ``winterize-70``), else 1."""
        if self.strength is not None:
            return self.strength
        try:
            value = float(params.get("strength", 100)) / 100
        except (TypeError, ValueError):
            raise EngineError("strength must be a number between 1 and 100") from None
        if not 0.0 <= value <= 1.0:
            raise EngineError(f"strength must be between 1 and 100, got {value * 100:g}")
        return value


class Backend:
    """Base class: subclass, set ``family``, implement :meth:`run` (and :meth:`txt2img` for
    text-to-image models). In a module of ``backends`` the class is found by its ``family``
    (``backends.BACKENDS``); elsewhere, map the family to it with ``WAGTAIL_GAN["BACKENDS"]``."""

    family: ClassVar[str] = ""
    # Several families run by one class (its ``family`` then only names it in messages).
    families: ClassVar[tuple[str, ...]] = ()
    # Torch models: the engine applies TORCH_THREADS and picks the device (else "cpu").
    uses_torch: ClassVar[bool] = True
    # Greyscale inputs come back greyscale (super-resolution keeps the look of the input).
    keep_greyscale: ClassVar[bool] = False

    def is_installed(self, entry: registry.ModelEntry) -> bool:
        """Whether this entry's weights are usable now (override for special layouts)."""
        return registry.is_installed(entry)

    def not_installed_message(self, entry: registry.ModelEntry) -> str:
        """The one-line ``ModelNotInstalled`` message: how to install this entry."""
        return install_hint(entry)

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        """Apply the model to ``rgb`` (8-bit RGB); return the RGB result and the parameters
        the run used that are not already in ``params`` (they are recorded with it)."""
        raise NotImplementedError

    def txt2img(self, entry: registry.ModelEntry, prompt: str, *, width: int, height: int,
                ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        """Text-to-image (``engine.generate_images``); only generative families have it."""
        raise EngineError(f"Model {entry.id!r} ({self.family}) cannot generate images from text")
