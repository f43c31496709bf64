"""Shared setup for the models_zoo benchmarks: minimal Django settings, threads, timing."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(threads: int = 1, models_dir: str | None = None, **extra) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            WAGTAIL_GAN={
                "MODELS_DIR": models_dir or os.environ.get("GAN_MODELS_DIR")
                or str(ROOT / "sandbox" / "data" / "gan-models"),
                "TORCH_THREADS": threads,
                "DEVICE": os.environ.get("GAN_DEVICE", "auto"),
                **extra,
            },
            USE_TZ=True,
        )
        django.setup()
    import torch

    torch.set_num_threads(threads)


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores visible, {gpu}, torch {torch.__version__}"


def median_time(fn, repeat: int = 7, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved(fns: dict, repeat: int = 9, warmup: int = 2) -> dict:
    """Median seconds per function, runs interleaved so machine noise hits all equally."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def ensure_x4plus(stream=None) -> Path:
    """Real-ESRGAN x4plus weights: the installed ones, else converted into a temp dir."""
    from wagtail_gan.models_zoo import install, registry

    entry = registry.get("realesrgan_x4plus")
    path = registry.weights_path(entry)
    if path is None:
        from django.test import override_settings

        tmp = tempfile.mkdtemp(prefix="gan-bench-")
        with override_settings(WAGTAIL_GAN={"MODELS_DIR": tmp}):
            install.install(entry, offline=True, stream=stream)
            path = registry.weights_path(entry)
    return path


def ensure_installed(model_id: str, stream=None) -> Path:
    """Weights of a registry model in the configured MODELS_DIR, installed offline if needed."""
    from wagtail_gan.models_zoo import install, registry

    entry = registry.get(model_id)
    if registry.weights_path(entry) is None:
        install.install(entry, offline=True, stream=stream)
    return registry.weights_path(entry)
