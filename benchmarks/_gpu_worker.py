"""``gpu_check.py`` sections: RIFE in-betweens (``video.engines``, the interpolator video
jobs use) and request-to-swap latency with a real ``run_huey`` worker (like
``bench_renditions.py``: render a page with a missing ML rendition, wait for the worker to
swap it in)."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _gpu_ctx import TOL, Ctx, SectionSkipped, nvml_process_mb
from _gpu_image import photo

ROOT = Path(__file__).resolve().parent.parent


def rife(ctx: Ctx) -> None:
    from wagtail_gan.video.engines import get_engine

    ctx.weights("rife_v4_6")
    w, h = ctx.plan.rife
    a, b = (np.asarray(photo(w, h, shift=s)) for s in (0, 8))
    model, blend = get_engine("model"), get_engine("blend")
    two = ctx.timeit(lambda: model.interpolator.between(a, b, [0.5]))
    four = ctx.timeit(lambda: model.interpolator.between(a, b, [0.25, 0.5, 0.75]))
    cross = ctx.timeit(lambda: blend.interpolator.between(a, b, [0.5]))
    ctx.say(f"RIFE 4.6 at {w}x{h} (fp32, padded to multiples of 128), frames on "
            f"{model.interpolator.device}:")
    for label, sec, n in (("2x (one in-between per pair)", two, 1),
                          ("4x (three in-betweens per pair)", four, 3),
                          ("blend (numpy cross-fade)", cross, 1)):
        ctx.say(f"  {label:34s} {sec * 1000:9.2f} ms/pair {n / sec:8.2f} in-betweens/s")
        ctx.record(f"{label.split(' (')[0]} in-betweens/s", round(n / sec, 3))
    ctx.ratio("RIFE 4x vs 2x", 3 / four, 1 / two, "in-betweens/s: three times t per pair")
    ctx.ratio("RIFE vs blend", 1 / two, 1 / cross, "in-betweens/s")
    if ctx.cuda:
        _rife_cuda_vs_cpu(ctx, model.interpolator)


def _rife_cuda_vs_cpu(ctx: Ctx, cuda_interpolator) -> None:
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.backends.rife import Interpolator, load

    w, h = 4 * ctx.plan.check_px, 2 * ctx.plan.check_px
    a, b = (np.asarray(photo(w, h, shift=s)) for s in (0, 8))
    cpu = Interpolator(load(registry.resolve("interpolate"), "cpu"), "cpu")
    ref = cpu.between(a, b, [0.5])[0]
    with ctx.exact_fp32():
        out = cuda_interpolator.between(a, b, [0.5])[0]
    ctx.check(f"RIFE CUDA fp32 vs CPU fp32 ({w}x{h}, 8-bit)", ref / 255, out / 255,
              TOL["uint8_fp16"])


class Worker:
    """A ``run_huey`` consumer (1 thread) on the check's settings, started early so its
    imports overlap the check's own start; its log goes to a file."""

    def __init__(self, work: Path):
        self.log_path = work / "worker.log"
        self.proc: subprocess.Popen | None = None
        self.ready = False

    def start(self) -> Worker:
        paths = [str(ROOT), str(ROOT / "sandbox"), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "sandbox" / "manage.py"), "run_huey", "--workers", "1",
             "--worker-type", "thread"], cwd=ROOT, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready:
            text = self.log_path.read_text(errors="replace")
            if "consumer started" in text.lower():
                self.ready = True
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{text[-2000:]}")
            else:
                time.sleep(0.1)

    def settle(self, timeout: float = 120) -> None:
        """Wait until it started (or failed: :meth:`wait_ready` in the worker section says)."""
        with contextlib.suppress(RuntimeError):
            self.wait_ready(timeout)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            self.log.close()


def worker(ctx: Ctx) -> None:
    """``upscale-4x`` renditions: page render (fallback + job) -> the worker's swap."""
    from bench_renditions import new_image, render_time, wait_done

    from wagtail_gan.models import RenditionJob
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    if ctx.worker is None:
        raise SectionSkipped("no worker was started")
    ctx.weights("spanx4_ch48")
    ctx.worker.wait_ready()
    spec, (w, h) = "upscale-4x", ctx.plan.worker
    seeds = iter(range(1000, 100_000))

    def one():
        image = new_image(w, h, next(seeds))
        start = time.perf_counter()
        render_time(image, spec)
        job = RenditionJob.objects.get(image=image, filter_spec=spec)
        job, end = wait_done(job.pk, timeout=max(30.0, ctx.section_left()))
        if job.status != "done":
            raise RuntimeError(f"rendition job {job.pk} {job.status}: {job.error}")
        return image, end - start, (job.finished_at - job.started_at).total_seconds(), \
            job.duration

    start = time.perf_counter()
    one()  # loads the model in the worker
    ctx.say(f"first job (the worker loads the model): {time.perf_counter() - start:.2f} s")
    rows = [one()]
    while len(rows) < ctx.plan.worker_jobs and ctx.section_left() > 3 * rows[-1][1]:
        rows.append(one())
    op = parse_spec(spec)
    with rows[0][0].open_file() as fh:
        from PIL import Image

        src = Image.open(fh).convert("RGB")
    engine.run(op.model_key, src, params=op.params)
    raw = ctx.timeit(lambda: engine.run(op.model_key, src, params=op.params), warmup=0)
    e2e, job, model = (statistics.median(r[i] for r in rows) for i in (1, 2, 3))
    ctx.say(f"{spec} of a {w}x{h} JPEG, {len(rows)} jobs, medians:")
    for label, sec in (("request -> swapped", e2e), ("job in the worker", job),
                       ("model in the worker", model), ("outside the job (render, queue)", e2e - job),
                       ("same model run in this process", raw)):
        ctx.say(f"  {label:32s} {sec * 1000:9.1f} ms")
        ctx.record(f"{label} ms", round(sec * 1000, 1))
    ctx.ratio("request-to-swap vs raw model", e2e, raw, "time: queue, job, decode, encode")
    ctx.ratio("worker job vs raw model", job, raw, "time: the job's own overhead")
    gpu = nvml_process_mb(ctx.worker.proc.pid) if ctx.on_gpu else None
    if gpu is not None:
        ctx.say(f"worker process GPU memory (NVML): {gpu:.0f} MB")
        ctx.record("worker GPU memory MB", round(gpu))
