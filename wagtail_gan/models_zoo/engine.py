"""The worker engine: one call per operation, real models, a recorded result.

    from wagtail_gan.models_zoo.engine import run_operation, generate_images
    result = run_operation("upscale-4x", pil_image, progress=lambda f: ...)
    result.image, result.model_id, result.model_sha256, result.params, result.seed

Every failure a user can cause (bad spec, unreadable image, limits, model not installed)
raises :class:`EngineError` (or a subclass) with a one-line message.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings
from wagtail_gan.specs import InvalidSpec, OperationSpec, parse_spec

from . import registry, runtime
from .errors import EngineError, LimitExceeded, ModelNotInstalled
from .hashing import lines_sha256, sha256_file, tree_lines

__all__ = [
    "EngineError",
    "EngineResult",
    "LimitExceeded",
    "ModelNotInstalled",
    "generate_images",
    "model_sha256",
    "run_operation",
]


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
    lines, sorted)."""
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


def _progress_wrapper(progress: Callable[[float], None] | None):
    if progress is None:
        return None
    last = [-1.0]

    def report(fraction: float) -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        if fraction >= last[0]:
            last[0] = fraction
            progress(fraction)

    return report


def _as_spec(spec: OperationSpec | str) -> OperationSpec:
    if isinstance(spec, OperationSpec):
        return spec
    try:
        return parse_spec(spec)
    except InvalidSpec as exc:
        raise EngineError(str(exc)) from None


def _fraction(value: Any, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"{name} must be a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise EngineError(f"{name} must be between 0 and 1, got {value}")
    return value


def run_operation(
    spec: OperationSpec | str,
    image: Image.Image,
    *,
    prompt: str | None = None,
    seed: int | None = None,
    strength: float | None = None,
    style_image: Image.Image | None = None,
    progress: Callable[[float], None] | None = None,
    preserve_color: bool = False,
    steps: int | None = None,
    guidance: float | None = None,
) -> EngineResult:
    """Apply one operation to ``image`` and return the result with its provenance.

    ``strength`` (0..1) blends the result with the input for winterize/stylize (default: the
    spec's strength, e.g. ``winterize-70``), and is the img2img strength for ``generate``.
    ``edit`` needs ``prompt``; ``stylize-image<id>`` needs ``style_image``; ``generate`` with an
    image is img2img guided by ``prompt``.
    """
    spec = _as_spec(spec)
    report = _progress_wrapper(progress)
    if report:
        report(0.0)
    runtime.configure_threads()
    runtime.check_input_limits(image)
    prepared = runtime.prepare(image)
    device = runtime.select_device()
    params = dict(spec.params)
    start = time.perf_counter()
    op = spec.operation
    keep_grey = False
    used_seed = None

    if op == "upscale":
        from . import sr

        out, entry, extra = sr.upscale(prepared.rgb, params, device=device, progress=report)
        keep_grey = True
    elif op == "winterize":
        from . import cyclegan

        s = _fraction(strength, "strength") if strength is not None else params.get("strength", 100) / 100
        entry = registry.default_for("winterize")
        out, extra = cyclegan.translate(prepared.rgb, entry, device=device, strength=s,
                                        progress=report)
    elif op == "stylize":
        s = _fraction(strength, "strength") if strength is not None else 1.0
        if "painter" in params:
            from . import cyclegan

            entry = registry.default_for(f"stylize-{params['painter']}")
            out, extra = cyclegan.translate(prepared.rgb, entry, device=device, strength=s,
                                            progress=report)
        elif "style_image" in params or (style_image is not None and "styles" not in params):
            from . import style

            if style_image is None:
                raise EngineError(f"{spec.text} needs the style image's pixels (style_image=...)")
            entry = registry.default_for("stylize-image")
            style_rgb = runtime.prepare(style_image).rgb
            out, extra = style.stylize_with_image(prepared.rgb, style_rgb, device=device,
                                                  strength=s, preserve_color=preserve_color)
        else:
            from . import style

            entry = registry.default_for("stylize")
            out, extra = style.stylize(prepared.rgb, params.get("styles") or [0], device=device,
                                       strength=s, preserve_color=preserve_color)
    elif op in ("edit", "generate"):
        from . import diffusion

        if not prompt or not str(prompt).strip():
            raise EngineError(f"{op} needs a prompt (the instruction)")
        _check_prompt(prompt)
        used_seed = _seed(seed)
        if op == "edit":
            entry = registry.default_for("edit")
            out, extra = diffusion.edit(entry, prepared.rgb, prompt, seed=used_seed,
                                        device=device, steps=steps, guidance=guidance,
                                        progress=report)
        else:
            entry = registry.default_for("img2img")
            s = _fraction(strength, "strength") if strength is not None else None
            out, extra = diffusion.img2img(entry, prepared.rgb, prompt, seed=used_seed,
                                           device=device, strength=s, steps=steps,
                                           guidance=guidance, progress=report)
        params["prompt"] = prompt
    else:  # pragma: no cover - parse_spec only yields the operations above
        raise EngineError(f"Unknown operation {op!r}")

    params.update(extra)
    result_image = runtime.finish(prepared, out, keep_greyscale=keep_grey)
    duration = time.perf_counter() - start
    if report:
        report(1.0)
    return EngineResult(result_image, entry.id, model_sha256(entry), params, used_seed, duration)


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


def _check_prompt(prompt: str) -> None:
    limit = int(gan_settings.MAX_INSTRUCTION_LENGTH)
    if len(prompt) > limit:
        raise EngineError(f"Prompt is {len(prompt)} characters; the limit is {limit}")


def generate_images(
    prompt: str,
    *,
    count: int = 1,
    seed: int | None = None,
    width: int = 512,
    height: int = 512,
    progress: Callable[[float], None] | None = None,
    steps: int | None = None,
    guidance: float | None = None,
) -> list[EngineResult]:
    """Text-to-image: ``count`` images; image ``i`` uses seed ``seed + i`` (each recorded)."""
    from . import diffusion

    if not prompt or not str(prompt).strip():
        raise EngineError("generate needs a prompt")
    _check_prompt(prompt)
    if not isinstance(count, int) or not 1 <= count <= 16:
        raise EngineError("count must be between 1 and 16")
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or not 64 <= value <= 4096 or value % 8:
            raise EngineError(f"{name} must be a multiple of 8 between 64 and 4096")
    runtime.check_output_limits(width, height)
    report = _progress_wrapper(progress)
    if report:
        report(0.0)
    runtime.configure_threads()
    device = runtime.select_device()
    entry = registry.default_for("generate")
    base = _seed(seed)
    sha = None
    results = []
    for i in range(count):
        start = time.perf_counter()

        def sub(fraction, i=i):
            if report:
                report((i + fraction) / count)

        img, extra = diffusion.txt2img(entry, prompt, seed=base + i, width=width, height=height,
                                       device=device, steps=steps, guidance=guidance,
                                       progress=sub)
        sha = sha or model_sha256(entry)
        params = {"prompt": prompt, "width": width, "height": height, **extra}
        results.append(EngineResult(img, entry.id, sha, params, base + i,
                                    time.perf_counter() - start))
    if report:
        report(1.0)
    return results
