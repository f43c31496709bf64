"""What every section of ``gpu_check.py`` shares: the plan (sizes per device), the time
budget, timing with CUDA synchronisation, peak memory per section, the CUDA-vs-CPU checks,
settings overrides and the figures that go to ``--json``."""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Tolerances of the output checks: max |difference| on the 0..1 scale of images, or relative
# to the reference's largest magnitude for network outputs that are not images. fp32 runs
# with TF32 off during the checks; fp16 is what production runs on CUDA. 8-bit outputs: one
# level where the arithmetic is the same (batching, runtime), three where fp16 is involved.
# fp16_rel: deep networks in fp16 (a CPU fp16 run of the SD 2.1 UNet differs by 6e-3).
TOL = {"fp32": 1e-3, "fp16": 1e-2, "fp16_rel": 2e-2, "uint8_same": 1 / 255 + 1e-9, "uint8_fp16": 3 / 255 + 1e-9}


@dataclass
class Plan:
    """Input sizes and repeats for a device. ``small``: the CPU sizes (CI)."""

    small: bool
    repeat: int
    span: tuple[int, int, int, int]  # width, height, tile, overlap
    x4plus: tuple[int, int, int, int]
    batches: tuple[int, ...]
    check_px: int  # side of the image the CUDA-vs-CPU checks run on
    stylize: tuple[int, int]
    diffusion_px: int
    steps: int  # denoising steps per diffusion run (step latency: the median between two)
    rife: tuple[int, int]
    worker: tuple[int, int]
    worker_jobs: int
    estimates: dict[str, float] = field(default_factory=dict)  # seconds per section
    compile_estimate: float = 90.0


def make_plan(device: str, small: bool, repeat: int | None, gpu_gb: float) -> Plan:
    """Sizes for ``device``; on CUDA they follow the GPU's memory (``gpu_gb``)."""
    if small:
        return Plan(True, repeat or 3, (64, 48, 32, 4), (32, 24, 16, 2), (1, 4), 24, (128, 96),
                    64, 4, (128, 72), (64, 48), 2,
                    {"upscale": 20, "stylize": 3, "diffusion": 25, "rife": 6, "worker": 30}, 120)
    big = gpu_gb >= 16 or device == "cpu"
    photo = (1920, 1080) if big else (960, 540)
    return Plan(False, repeat or 3, (*photo, 256, 16), (*photo, 256, 16),
                (1, 4, 8) if gpu_gb >= 24 else (1, 4), 64, (1024, 768), 512, 10,
                (1920, 1080), (1024, 768), 5,
                {"upscale": 120, "stylize": 15, "diffusion": 120, "rife": 30, "worker": 60}, 90)


class SectionSkipped(Exception):
    """A section (or part of one) cannot run here; the message says why."""


@dataclass
class Ctx:
    device: str
    plan: Plan
    budget: float
    work: Path
    models: dict  # WAGTAIL_GAN["MODELS"] of the check
    json_path: Path | None = None
    compile: bool = False
    started: float = field(default_factory=time.perf_counter)
    results: dict[str, Any] = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)
    section: str = ""
    section_end: float = 0.0
    built: dict[str, float] = field(default_factory=dict)
    worker: Any = None
    rehearse: bool = False  # take the CUDA-only branches on a CPU (tests: they run in CI)

    @property
    def on_gpu(self) -> bool:
        """The device really is a CUDA GPU (synchronisation, GPU memory)."""
        return self.device.startswith("cuda")

    @property
    def cuda(self) -> bool:
        """Take the CUDA branches: comparisons with the CPU, fp32 baselines..."""
        return self.on_gpu or self.rehearse

    # -- time ------------------------------------------------------------------------------

    def left(self) -> float:
        """Seconds left of the whole budget."""
        return self.budget - (time.perf_counter() - self.started)

    def section_left(self) -> float:
        return min(self.left(), self.section_end - time.perf_counter())

    def need(self, seconds: float, what: str) -> None:
        """Raise SectionSkipped when ``what`` (about ``seconds``) would overrun."""
        left = self.section_left()
        if seconds > left:
            raise SectionSkipped(f"{what} needs about {seconds:.0f} s; {max(0.0, left):.0f} s "
                                 f"left in this section's share of the {self.budget:.0f} s budget")

    def sync(self) -> None:
        if self.on_gpu:
            import torch

            torch.cuda.synchronize()

    def quiet(self) -> None:
        """Before measuring: let the worker started at the beginning finish its imports."""
        if self.worker is not None:
            self.worker.settle()

    def timeit(self, fn, repeat: int | None = None, warmup: int = 1) -> float:
        """Median seconds of ``fn`` after ``warmup`` calls (CUDA synchronised); stops
        repeating early when the section's time is up (one timed run at least)."""
        self.quiet()
        for _ in range(warmup):
            fn()
        self.sync()
        times = []
        for _ in range(repeat or self.plan.repeat):
            start = time.perf_counter()
            fn()
            self.sync()
            times.append(time.perf_counter() - start)
            if self.section_left() < 3 * times[-1]:
                break
        return statistics.median(times)

    # -- models and settings -----------------------------------------------------------------

    def weights(self, *model_ids: str) -> None:
        """Build the random-weight files of these registry ids (once per run)."""
        from _gpu_models import build

        todo = {m for m in model_ids if m not in self.built}
        if todo:
            done = build(self.models, todo, small=self.plan.small, device=self.device)
            self.built.update(done)
            self.say("built " + ", ".join(f"{k} ({v:.1f} s)" for k, v in sorted(done.items())))

    @contextlib.contextmanager
    def settings(self, **overrides):
        """``WAGTAIL_GAN`` with ``overrides`` and an empty model cache (models load again, in
        the precision/compile settings asked for)."""
        from django.conf import settings
        from django.test import override_settings

        from wagtail_gan.models_zoo import runtime

        runtime.cache.clear()
        with override_settings(WAGTAIL_GAN={**settings.WAGTAIL_GAN, **overrides}):
            try:
                yield
            finally:
                runtime.cache.clear()
                self.free()

    def free(self) -> None:
        gc.collect()
        if self.on_gpu:
            import torch

            torch.cuda.empty_cache()

    @contextlib.contextmanager
    def exact_fp32(self):
        """TF32 off (convolutions and matmuls), for the fp32 checks."""
        import torch

        old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        try:
            yield
        finally:
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old

    # -- memory ------------------------------------------------------------------------------

    def reset_peak(self) -> None:
        self.free()
        if self.on_gpu:
            import torch

            torch.cuda.reset_peak_memory_stats()
        else:
            with contextlib.suppress(OSError):  # Linux: reset the peak RSS (VmHWM)
                Path("/proc/self/clear_refs").write_text("5")

    def peak(self) -> dict[str, float]:
        if self.on_gpu:
            import torch

            out = {"peak_gpu_allocated_mb": torch.cuda.max_memory_allocated() / 2**20,
                   "peak_gpu_reserved_mb": torch.cuda.max_memory_reserved() / 2**20}
            nvml = nvml_process_mb(os.getpid())
            if nvml is not None:
                out["gpu_process_mb_at_end"] = nvml
            return out
        return {"peak_rss_mb": peak_rss_mb()}

    # -- output --------------------------------------------------------------------------------

    def say(self, line: str) -> None:
        print(f"  {line}", flush=True)

    def record(self, key: str, value: Any) -> None:
        self.results.setdefault(self.section, {}).setdefault("figures", {})[key] = value

    def ratio(self, label: str, value: float, baseline: float, what: str) -> float:
        """Print and record ``value / baseline`` (a speed-up when both are rates)."""
        r = value / baseline if baseline else float("nan")
        self.say(f"{label}: x{r:.3g} ({what})")
        # three significant figures: a slow model's ratio to the blend (~1e-4 on a CPU) must
        # not round to 0
        self.results.setdefault(self.section, {}).setdefault("ratios", {})[label] = float(f"{r:.3g}")
        return r

    def check(self, name: str, ref, out, tol: float, *, relative: bool = False) -> bool:
        """Max |out - ref| (numpy arrays or tensors) within ``tol``; relative to max |ref|
        when ``relative``. Recorded; a failure makes the run exit non-zero."""
        import numpy as np

        ref, out = (np.asarray(_numpy(a), dtype=np.float64) for a in (ref, out))
        finite = bool(np.isfinite(out).all() and np.isfinite(ref).all())
        diff = float(np.abs(out - ref).max()) if ref.shape == out.shape and finite else float("inf")
        scale = float(np.abs(ref).max()) if relative and finite else 1.0
        value = diff / max(scale, 1e-12)
        ok = value <= tol
        what = "max |diff| / max |ref|" if relative else "max |diff|"
        self.say(f"check {name}: {what} {value:.2e} (tolerance {tol:g}) "
                 f"{'OK' if ok else 'FAILED'}" + ("" if finite else " (non-finite values)"))
        self.checks.append({"section": self.section, "name": name, "metric": what,
                            "value": value, "tolerance": tol, "ok": ok})
        return ok

    def write_json(self, extra: dict) -> None:
        if self.json_path is None:
            return
        import json

        data = {**extra, "elapsed_s": round(time.perf_counter() - self.started, 1),
                "sections": self.results, "checks": self.checks,
                "ok": all(c["ok"] for c in self.checks)
                and not any(s.get("status") == "error" for s in self.results.values())}
        tmp = self.json_path.with_name(self.json_path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, default=float))
        tmp.replace(self.json_path)


def _numpy(a):
    if hasattr(a, "detach"):
        return a.detach().float().cpu().numpy()
    return a


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def nvml_process_mb(pid: int) -> float | None:
    """GPU memory NVML reports for process ``pid`` (None when NVML or the pid is not
    visible): what a worker process holds, which torch in this process cannot see."""
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
            if proc.pid == pid and proc.usedGpuMemory:
                return proc.usedGpuMemory / 2**20
    except Exception:
        return None
    return None
