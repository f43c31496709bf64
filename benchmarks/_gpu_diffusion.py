"""``gpu_check.py`` section: diffusion step latency (text-to-image, img2img and the
InstructPix2Pix edit) through the engine (``engine.generate_images`` / ``engine.run``), so
the pipelines load through ``backends.diffusion`` exactly as in production (local folder,
production dtype, CPU generator, progress callback).

Step latency: the median time between two denoising steps, timed by the progress callback
the backend calls after each step (CUDA synchronised there), so the fixed costs (text
encoder, VAE encode/decode, image conversions) are not in it; they are reported apart.
img2img runs ``int(steps * strength)`` denoising steps (strength: the entry's default, 0.5)."""

from __future__ import annotations

from _gpu_ctx import TOL, Ctx
from _gpu_image import photo

PROMPT = "a lighthouse on a cliff at dusk, oil painting"
EDIT = "make it snow"


def diffusion(ctx: Ctx) -> None:
    import numpy as np

    from wagtail_gan.models_zoo import engine, registry

    ctx.weights("sd_turbo", "instruct_pix2pix")
    px, n = ctx.plan.diffusion_px, ctx.plan.steps
    img = photo(px, px)
    strength = float(registry.resolve("img2img").defaults.get("img2img_strength", 0.5))
    asked = round(n / strength)  # img2img makes min(int(steps * strength), steps) steps
    runs = {  # name: (run with a progress callback, denoising steps it makes)
        "text-to-image": (lambda cb: engine.generate_images(
            PROMPT, seed=1, width=px, height=px, steps=n, progress=cb), n),
        "img2img": (lambda cb: engine.run("img2img", img, prompt=PROMPT, seed=1, steps=asked,
                                          progress=cb), min(int(asked * strength), asked)),
        "edit (InstructPix2Pix)": (lambda cb: engine.run("edit", img, prompt=EDIT, seed=1,
                                                         steps=n, progress=cb), n),
    }
    dtype = "fp16" if ctx.on_gpu else "fp32"
    ctx.say(f"{px}x{px}, {dtype}, {n} denoising steps; guidance as the registry entries: "
            f"{_guidance('generate')} (text-to-image, img2img), {_guidance('edit')} (edit)")
    steps = {name: _step_latency(ctx, name, fn, count, dtype)
             for name, (fn, count) in runs.items()}
    ctx.ratio("edit step vs text-to-image step", steps["edit (InstructPix2Pix)"],
              steps["text-to-image"], "time: 8-channel UNet, 3-way guidance vs the other")
    first = engine.generate_images(PROMPT, seed=7, width=px, height=px, steps=2)[0].image
    again = engine.generate_images(PROMPT, seed=7, width=px, height=px, steps=2)[0].image
    ctx.check("text-to-image: same seed, same image (8-bit)", np.asarray(first) / 255,
              np.asarray(again) / 255, TOL["uint8_same"])
    if not ctx.cuda:
        ctx.say("CUDA vs CPU checks: no CUDA here")
        return
    outs = {f"{kind} fp16": _components(ctx, kind, ctx.device) for kind in ("txt2img", "pix2pix")}
    with ctx.settings(PRECISION="fp32"):
        step32 = _step_latency(ctx, "text-to-image", *runs["text-to-image"], "fp32")
        ctx.ratio("diffusion fp16 vs fp32", step32, steps["text-to-image"],
                  "speed-up per text-to-image step")
        with ctx.exact_fp32():
            outs["txt2img fp32"] = _components(ctx, "txt2img", ctx.device)
            outs["pix2pix fp32"] = _components(ctx, "pix2pix", ctx.device)
    with ctx.settings():
        refs = {kind: _components(ctx, kind, "cpu") for kind in ("txt2img", "pix2pix")}
    for label, got in outs.items():
        kind, precision = label.split()
        tol = TOL["fp32"] if precision == "fp32" else TOL["fp16_rel"]
        for part, value in got.items():
            ctx.check(f"{kind} {part}: CUDA {precision} vs CPU fp32", refs[kind][part], value,
                      tol, relative=True)


def _guidance(key: str) -> str:
    from wagtail_gan.models_zoo import registry

    d = registry.resolve(key).defaults
    extra = f", image {d['image_guidance']}" if "image_guidance" in d else ""
    return f"{d.get('guidance', 7.5)}{extra}"


def _step_latency(ctx: Ctx, name: str, fn, count: int, dtype: str) -> float:
    """Median time between consecutive denoising steps (the backend's progress callback after
    each step; CUDA synchronised in it), over ``repeat`` runs after a warm-up run (which
    loads the pipeline); the fixed cost is the rest of a run."""
    import statistics
    import time

    marks: list[float] = []

    def progress(fraction):
        ctx.sync()
        marks.append(time.perf_counter())

    ctx.quiet()
    gaps, totals, runs = [], [], []
    for i in range(1 + ctx.plan.repeat):
        marks.clear()
        start = time.perf_counter()
        fn(progress)
        # marks: the engine's 0.0, one per denoising step, the engine's 1.0
        if len(marks) != count + 2:
            raise RuntimeError(f"{name}: {len(marks) - 2} step callbacks, expected {count}")
        if i:
            steps = marks[1:-1]
            gaps += [b - a for a, b in zip(steps, steps[1:], strict=False)]
            totals.append(marks[-1] - start)
            runs.append((steps[0] - start, marks[-1] - steps[-1]))
        if i and ctx.section_left() < 3 * totals[-1]:
            break
    step, total = statistics.median(gaps), statistics.median(totals)
    # Fixed cost: up to the first step's end, less one step, plus what follows the last step.
    fixed = statistics.median(before - step + after for before, after in runs)
    ctx.say(f"  {name + ' ' + dtype:30s} {step * 1000:8.1f} ms/step, {total:.3f} s per image "
            f"({count} steps; fixed cost {fixed * 1000:.0f} ms)")
    ctx.record(f"{name} {dtype} ms/step", round(step * 1000, 2))
    ctx.record(f"{name} {dtype} s/image ({count} steps)", round(total, 3))
    return step


def _components(ctx: Ctx, kind: str, device: str) -> dict:
    """The pipeline the backend loads (``diffusion._load``, production dtype for the current
    PRECISION) run part by part on fixed inputs: text encoder, UNet (one denoising call, the
    cost of a step), VAE decoder; outputs as CPU float tensors."""
    import torch

    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.backends import diffusion

    entry = registry.resolve("edit" if kind == "pix2pix" else "generate")
    pipe = diffusion._load(entry, kind, device)
    dtype = pipe.unet.dtype
    side = 8 if ctx.plan.small else 32  # latents: 64 or 256 px images
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(1, pipe.unet.config.in_channels, side, side, generator=g)
    hidden = torch.randn(1, 77, pipe.unet.config.cross_attention_dim, generator=g)
    z = torch.randn(1, 4, side, side, generator=g) / pipe.vae.config.scaling_factor
    tokens = pipe.tokenizer([PROMPT], padding="max_length", max_length=77,
                            return_tensors="pt").input_ids
    with torch.inference_mode():
        out = {
            "text encoder": pipe.text_encoder(tokens.to(device))[0],
            "UNet": pipe.unet(latents.to(device, dtype), 500,
                              encoder_hidden_states=hidden.to(device, dtype)).sample,
            "VAE decoder": pipe.vae.decode(z.to(device, dtype)).sample,
        }
    return {k: v.float().cpu() for k, v in out.items()}
