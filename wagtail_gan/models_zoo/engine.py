"""The worker engine: one call per model run, real models, a recorded result.

    from wagtail_gan.models_zoo.engine import run, generate_images
    result = run("upscale-4x", pil_image, params={"scale": 4}, progress=lambda f: ...)
    result.image, result.model_id, result.model_sha256, result.params, result.seed

``run`` resolves the key (a model id or a default key such as ``upscale-4x``, see
``registry.resolve``), picks the backend by the entry's family (``backends``), and does the
shared work once: threads and device, input/output limits, colour modes, alpha and EXIF
(``runtime.prepare``/``finish``), progress, prompt and seed, timing and the model's sha256.

Every failure a user can cause (unknown model, unreadable image, limits, model not
installed, bad parameters) raises :class:`EngineError` (or a subclass) with a one-line
message. Importing this module does not import torch: backends import it when they run.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from . import registry, runtime
from .backends import Backend, RunContext, get_backend
from .errors import EngineError, LimitExceeded, ModelNotInstalled
from .hashing import lines_sha256, sha256_file, tree_lines
from .jpeg import jpeg_quality

__all__ = [
    "EngineError",
    "EngineResult",
    "LimitExceeded",
    "ModelNotInstalled",
    "generate_images",
    "model_sha256",
    "run",
]

Progress = Callable[[float], None]


@dataclass
class EngineResult:
    image: Image.Image
    model_id: str
    model_sha256: str
    params: dict = field(default_factory=dict)
    seed: int | None = None
    duration: float = 0.0


def model_sha256(entry: registry.ModelEntry) -> str:
    """sha256 of the weights a run used: the installed manifest's, else computed from the
    file (or, for a folder or several package files, a sha256 over 'relative path  sha256'
    lines, sorted). A family that needs no weights (the dummy backend) gets a hash of its
    family and id, so its results stay attributable."""
    if not entry.needs_weights:
        return hashlib.sha256(f"{entry.family}:{entry.id}".encode()).hexdigest()
    manifest = registry.read_manifest(entry.id)
    path = registry.weights_path(entry)
    if manifest and manifest.get("sha256") and path and path.parent == registry.model_dir(entry.id):
        return manifest["sha256"]
    if path is None:
        return ""
    if path.is_file():
        return sha256_file(path, cached=True)
    pkg = [s for s in entry.sources if s.kind == "package"]
    if pkg:
        root = path.parent
        return lines_sha256(tree_lines(root, [root / f for f in pkg[0].files], cached=True))
    return lines_sha256(tree_lines(path, cached=True))


def run(
    model_key: str,
    image: Image.Image,
    *,
    params: dict | None = None,
    prompt: str | None = None,
    seed: int | None = None,
    strength: float | None = None,
    style_image: Image.Image | None = None,
    progress: Progress | None = None,
    preserve_color: bool = False,
    steps: int | None = None,
    guidance: float | None = None,
) -> EngineResult:
    """Run the model behind ``model_key`` on ``image`` and return the result with its
    provenance.

    ``params`` are the spec's parameters (``{"scale": 2}``, ``{"strength": 70}``,
    ``{"styles": [3, 12]}``...): the backend reads what it knows and they are recorded with
    what the run added. ``strength`` (0..1) blends the result with the input for
    winterize/stylize (default: ``params["strength"]``/100, else 1) and is the img2img
    strength for ``generate``. Models whose task is ``edit`` or ``generate`` need ``prompt``
    and record a ``seed`` (random when None); ``stylize-image`` needs ``style_image``.
    """
    report = _progress_wrapper(progress)
    if report:
        report(0.0)
    entry, params = _resolve(model_key, params)
    backend = _backend(entry)
    ctx = RunContext(
        progress=report, prompt=prompt, style_image=style_image, steps=steps,
        guidance=guidance, preserve_color=bool(preserve_color),
        strength=_fraction(strength, "strength") if strength is not None else None,
    )
    if entry.task in registry.PROMPT_TASKS:
        _check_prompt(prompt, f"{entry.task} needs a prompt (the instruction)")
        ctx.seed = _seed(seed)
    ctx.device = _setup(backend)
    runtime.check_input_limits(image)
    ctx.jpeg_quality = jpeg_quality(image)  # before prepare(): a converted copy has no tables
    prepared = runtime.prepare(image)
    _require_installed(backend, entry)
    start = time.perf_counter()
    with _missing_model(entry):
        out, extra = backend.run(entry, prepared.rgb, params=dict(params), ctx=ctx)
    background = extra.pop("composite_on", None)
    recorded = {**params, **extra}
    if entry.task in registry.PROMPT_TASKS:
        recorded["prompt"] = prompt
    result_image = runtime.finish(prepared, out, keep_greyscale=backend.keep_greyscale,
                                  padding=_padding(extra, prepared.rgb.size, out.size),
                                  background=background)
    duration = time.perf_counter() - start
    if report:
        report(1.0)
    return EngineResult(result_image, entry.id, model_sha256(entry), recorded, ctx.seed,
                        duration)


def generate_images(
    prompt: str,
    *,
    count: int = 1,
    seed: int | None = None,
    width: int = 512,
    height: int = 512,
    progress: Progress | None = None,
    steps: int | None = None,
    guidance: float | None = None,
) -> list[EngineResult]:
    """Text-to-image with the ``generate`` model: ``count`` images; image ``i`` uses seed
    ``seed + i`` (each recorded)."""
    _check_prompt(prompt, "generate needs a prompt")
    if not isinstance(count, int) or not 1 <= count <= 16:
        raise EngineError("count must be between 1 and 16")
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or not 64 <= value <= 4096 or value % 8:
            raise EngineError(f"{name} must be a multiple of 8 between 64 and 4096")
    runtime.check_output_limits(width, height)
    report = _progress_wrapper(progress)
    if report:
        report(0.0)
    entry, _ = _resolve("generate", None)
    backend = _backend(entry)
    device = _setup(backend)
    _require_installed(backend, entry)
    base = _seed(seed)
    sha = None
    results = []
    for i in range(count):
        start = time.perf_counter()

        def sub(fraction, i=i):
            if report:
                report((i + fraction) / count)

        ctx = RunContext(device=device, progress=sub, seed=base + i, prompt=prompt,
                         steps=steps, guidance=guidance)
        with _missing_model(entry):
            img, extra = backend.txt2img(entry, prompt, width=width, height=height, ctx=ctx)
        sha = sha or model_sha256(entry)
        params = {"prompt": prompt, "width": width, "height": height, **extra}
        results.append(EngineResult(img, entry.id, sha, params, base + i,
                                    time.perf_counter() - start))
    if report:
        report(1.0)
    return results


# -- shared steps ----------------------------------------------------------------------------


def _resolve(model_key: str, params: dict | None) -> tuple[registry.ModelEntry, dict]:
    """The entry to run and the params to give it. A key whose model is not installed runs
    its stand-in when that one is (``registry.STAND_INS``), asked for the original scale.
    Revisions pinned on the Models page apply (``registry.pinned``)."""
    try:
        entry = registry.pinned(registry.resolve(model_key))
    except (registry.UnknownModel, registry.InvalidModelId) as exc:
        raise EngineError(str(exc)) from None
    params = dict(params or {})
    if model_key in registry.STAND_INS and not registry.is_installed(entry):
        stand_in = registry.resolve_installed(model_key)
        if stand_in is not None:
            if entry.scale:
                params.setdefault("scale", entry.scale)
            entry = registry.pinned(stand_in)
    return entry, params


def _backend(entry: registry.ModelEntry) -> Backend:
    try:
        return get_backend(entry.family)
    except EngineError as exc:
        raise EngineError(f"Model {entry.id!r} cannot run: {exc}") from None


def _require_installed(backend: Backend, entry: registry.ModelEntry) -> None:
    if not backend.is_installed(entry):
        raise ModelNotInstalled(backend.not_installed_message(entry), entry.id)


@contextmanager
def _missing_model(entry: registry.ModelEntry):
    """A backend's ``ModelNotInstalled`` names the model it ran for (jobs wait for it)."""
    try:
        yield
    except ModelNotInstalled as exc:
        exc.model_id = exc.model_id or entry.id
        raise


def _setup(backend: Backend) -> str:
    """Torch threads and the device for a torch backend; "cpu" for the others."""
    if not backend.uses_torch:
        return "cpu"
    runtime.configure_threads()
    return runtime.select_device()


def _padding(extra: dict, size: tuple[int, int], out_size: tuple[int, int]):
    """(left, top, right, bottom) a backend added around the input (expand), when the output
    is exactly that canvas; else None."""
    pad = extra.get("padding")
    if not isinstance(pad, (list, tuple)) or len(pad) != 4:
        return None
    left, top, right, bottom = (int(v) for v in pad)
    if (size[0] + left + right, size[1] + top + bottom) != tuple(out_size):
        return None
    return left, top, right, bottom


def _progress_wrapper(progress: Progress | None) -> Progress | None:
    if progress is None:
        return None
    last = [-1.0]

    def report(fraction: float) -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        if fraction >= last[0]:
            last[0] = fraction
            progress(fraction)

    return report


def _fraction(value: Any, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"{name} must be a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise EngineError(f"{name} must be between 0 and 1, got {value}")
    return value


def _seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbelow(2**31 - 1)
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise EngineError("seed must be an integer") from None
    if not 0 <= seed < 2**63:
        raise EngineError("seed must be between 0 and 2**63 - 1")
    return seed


def _check_prompt(prompt: str | None, missing: str) -> None:
    if not prompt or not str(prompt).strip():
        raise EngineError(missing)
    limit = int(gan_settings.MAX_INSTRUCTION_LENGTH)
    if len(prompt) > limit:
        raise EngineError(f"Prompt is {len(prompt)} characters; the limit is {limit}")
