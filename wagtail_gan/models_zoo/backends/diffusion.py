"""diffusers backend: InstructPix2Pix edits, img2img and text-to-image, chosen by the entry's
task (``edit``: an instruction edit; ``generate``: img2img with an input image, text-to-image
through ``engine.generate_images``).

Pipelines load from a local folder only (``local_files_only``): weights arrive through
``gan_models install`` (Hugging Face, pinned revision) or a folder the site provides. The seed
always drives a CPU ``torch.Generator`` so a recorded seed reproduces the image on any device.
Steps/guidance default to the registry entry's ``defaults``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from .. import registry, runtime
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext


def not_installed_message(entry: registry.ModelEntry) -> str:
    hf = next((s for s in entry.sources if s.kind == "hf"), None)
    how = f"`manage.py gan_models install {entry.id}`"
    if hf and not hf.revision:
        how += (" after pinning a revision (on the Models page, or WAGTAIL_GAN['MODELS']"
                f"['{entry.id}'] = {{'revision': '<commit>'}})")
    return (
        f"Model {entry.id!r} is not installed: run {how} (Hugging Face download, not "
        "available offline), or point WAGTAIL_GAN['MODELS'] at a local diffusers folder"
    )


def _folder(entry: registry.ModelEntry) -> Path | None:
    """The entry's diffusers folder (a snapshot or the site's folder), None if missing."""
    path = registry.weights_path(entry)
    return path if path is not None and path.is_dir() else None


def _path(entry: registry.ModelEntry) -> Path:
    path = _folder(entry)
    if path is None:
        raise ModelNotInstalled(not_installed_message(entry))
    return path


def _load(entry: registry.ModelEntry, kind: str, device: str):
    path = _path(entry)

    def loader():
        import diffusers

        dtype = runtime.select_dtype(device)
        diffusers.utils.logging.set_verbosity_error()
        diffusers.utils.logging.disable_progress_bar()
        try:
            import transformers

            transformers.utils.logging.disable_progress_bar()
        except ImportError:  # pragma: no cover
            pass
        # diffusers renamed torch_dtype to dtype (the old name warns).
        renamed = hasattr(diffusers.utils.deprecation_utils, "_TORCH_DTYPE_DEPRECATION_MESSAGE")
        kwargs = {"local_files_only": True, ("dtype" if renamed else "torch_dtype"): dtype}
        try:
            if kind == "pix2pix":
                pipe = diffusers.StableDiffusionInstructPix2PixPipeline.from_pretrained(
                    str(path), safety_checker=None, requires_safety_checker=False, **kwargs)
            else:
                pipe = diffusers.AutoPipelineForText2Image.from_pretrained(str(path), **kwargs)
        except Exception as exc:
            raise EngineError(f"Cannot load {entry.id} from {path}: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        if hasattr(pipe, "safety_checker"):
            pipe.safety_checker = None
        pipe.set_progress_bar_config(disable=True)
        return pipe.to(device)

    def size(pipe):
        return sum(runtime.torch_module_bytes(m) for m in pipe.components.values()
                   if hasattr(m, "parameters"))

    key = ("diffusers", kind, entry.id, str(path), device)
    return runtime.cache.get(key, loader, size)


def _generator(seed: int):
    import torch

    return torch.Generator(device="cpu").manual_seed(int(seed))


def _callback(progress, steps):
    if progress is None:
        return None

    def on_step_end(pipe, step, timestep, callback_kwargs):
        progress(min(1.0, (step + 1) / max(1, steps)))
        return callback_kwargs

    return on_step_end


def _working_size(img: Image.Image, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(img.size))
    w = max(8, int(round(img.width * scale / 8)) * 8)
    h = max(8, int(round(img.height * scale / 8)) * 8)
    return w, h


def _defaults(entry, steps, guidance):
    d = entry.defaults
    steps = int(steps if steps is not None else d.get("steps", 20))
    guidance = float(guidance if guidance is not None else d.get("guidance", 7.5))
    if not 1 <= steps <= 500:
        raise EngineError("steps must be between 1 and 500")
    return steps, guidance


def _to_working_size(entry, img: Image.Image) -> Image.Image:
    """The input resized to the model's working size (sides within ``max_side``)."""
    size = _working_size(img, int(entry.defaults.get("max_side", 512)))
    return img.resize(size, Image.Resampling.LANCZOS) if size != img.size else img


def _to_size(out: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A pipeline output back at the input's size, as RGB."""
    if out.size != size:
        out = out.resize(size, Image.Resampling.LANCZOS)
    return out.convert("RGB")


def edit(entry, img: Image.Image, prompt: str, *, seed: int, device: str, steps=None,
         guidance=None, progress=None):
    """InstructPix2Pix: the image edited following ``prompt``; same size as the input."""
    steps, guidance = _defaults(entry, steps, guidance)
    image_guidance = float(entry.defaults.get("image_guidance", 1.5))
    pipe = _load(entry, "pix2pix", device)
    work = _to_working_size(entry, img)
    out = pipe(
        prompt, image=work, num_inference_steps=steps, guidance_scale=guidance,
        image_guidance_scale=image_guidance, generator=_generator(seed),
        callback_on_step_end=_callback(progress, steps),
    ).images[0]
    return _to_size(out, img.size), {"steps": steps, "guidance": guidance,
                                "image_guidance": image_guidance, "working_size": list(work.size)}


def img2img(entry, img: Image.Image, prompt: str, *, seed: int, device: str, strength=None,
            steps=None, guidance=None, progress=None):
    import diffusers

    steps, guidance = _defaults(entry, steps, guidance)
    strength = float(strength if strength is not None else entry.defaults.get("img2img_strength", 0.5))
    base = _load(entry, "txt2img", device)
    pipe = diffusers.AutoPipelineForImage2Image.from_pipe(base)
    pipe.set_progress_bar_config(disable=True)
    work = _to_working_size(entry, img)
    # img2img runs int(steps * strength) denoising steps.
    effective = max(1, int(steps * strength))
    out = pipe(
        prompt, image=work, strength=strength, num_inference_steps=steps,
        guidance_scale=guidance, generator=_generator(seed),
        callback_on_step_end=_callback(progress, effective),
    ).images[0]
    return _to_size(out, img.size), {"steps": steps, "guidance": guidance, "strength": strength,
                                     "working_size": list(work.size)}


def txt2img(entry, prompt: str, *, seed: int, width: int, height: int, device: str, steps=None,
            guidance=None, progress=None):
    steps, guidance = _defaults(entry, steps, guidance)
    pipe = _load(entry, "txt2img", device)
    out = pipe(
        prompt, width=width, height=height, num_inference_steps=steps, guidance_scale=guidance,
        generator=_generator(seed), callback_on_step_end=_callback(progress, steps),
    ).images[0]
    return out.convert("RGB"), {"steps": steps, "guidance": guidance}


class DiffusersBackend(Backend):
    """Families ``diffusers_pix2pix`` and ``diffusers_txt2img``; what runs follows the task."""

    family = "diffusers"
    families = ("diffusers_pix2pix", "diffusers_txt2img")

    def is_installed(self, entry: registry.ModelEntry) -> bool:
        return _folder(entry) is not None

    def not_installed_message(self, entry: registry.ModelEntry) -> str:
        return not_installed_message(entry)

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        common = dict(seed=ctx.seed, device=ctx.device, steps=ctx.steps, guidance=ctx.guidance,
                      progress=ctx.progress)
        if entry.task == "edit":
            return edit(entry, rgb, ctx.prompt, **common)
        if entry.task == "generate":
            return img2img(entry, rgb, ctx.prompt, strength=ctx.strength, **common)
        raise EngineError(f"Model {entry.id!r}: diffusers runs edit or generate models, "
                          f"not {entry.task!r}")

    def txt2img(self, entry: registry.ModelEntry, prompt: str, *, width: int, height: int,
                ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        return txt2img(entry, prompt, seed=ctx.seed, width=width, height=height,
                       device=ctx.device, steps=ctx.steps, guidance=ctx.guidance,
                       progress=ctx.progress)
