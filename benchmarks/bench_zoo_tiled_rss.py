"""Benchmark 2: peak RSS of a tiled upscale-4x for 256², 1024² and 2048² inputs.

    .venv/bin/python benchmarks/bench_zoo_tiled_rss.py [--real]

Each size runs in a fresh subprocess (peak RSS = ru_maxrss). The model is an RRDBNet x4 with
the exact Real-ESRGAN layout but 1 block and 16 features (random weights) so that 2048² runs
in reasonable time on a CPU; ``--real`` uses Real-ESRGAN x4plus (slow on CPU). The output
itself (a uint8 array, 48·W·H bytes at 4x) is unavoidable; what must stay flat is the working
memory on top of it. Untiled runs of the smaller sizes are the baseline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {here!r})
from _zoo_common import setup
setup(threads={threads}, TILE_SIZE={tile}, TILE_OVERLAP=16)
import numpy as np
from PIL import Image
from django.test import override_settings
from wagtail_gan.models_zoo import registry, sr
size = {size}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with override_settings(WAGTAIL_GAN={{"MODELS": {{"realesrgan_x4plus": {{"path": {weights!r}}}}},
                                    "TILE_SIZE": {tile}, "TILE_OVERLAP": 16,
                                    "TORCH_THREADS": {threads}, "DEVICE": "cpu"}}):
    desc = sr.load(registry.get("realesrgan_x4plus"), "cpu")
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    out = sr.run_model(desc, img, device="cpu")
    secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"size": size, "tile": {tile}, "before_mb": before / 1024, "peak_mb": peak / 1024,
                  "output_mb": out.width * out.height * 3 / 2**20, "seconds": secs}}))
"""


def run(size, tile, weights, threads):
    code = CHILD.format(here=str(HERE), size=size, tile=tile, weights=str(weights),
                        threads=threads)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    sys.path.insert(0, str(HERE))
    from _zoo_common import ensure_x4plus, machine, setup

    setup(threads=1)
    real = "--real" in sys.argv
    threads = 2
    if real:
        weights = ensure_x4plus()
    else:
        import tempfile

        sys.path.insert(0, str(HERE.parent))
        from tests.models_zoo.fixtures import build_sr_model

        weights = build_sr_model(Path(tempfile.mkdtemp()) / "bench_x4.safetensors",
                                 scale=4, num_feat=16, num_block=1)
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"model: {'Real-ESRGAN x4plus' if real else 'RRDBNet x4, 1 block, 16 features'}")
    print("size    tile  peak RSS  (output)  working = peak - output - model-loaded  time")
    for size, tile in [(256, 0), (512, 0), (256, 256), (1024, 256), (2048, 256)]:
        r = run(size, tile, weights, threads)
        working = r["peak_mb"] - r["output_mb"] - r["before_mb"]
        print(f"{size:>4}²  {tile or 'none':>4}  {r['peak_mb']:7.0f} MB  ({r['output_mb']:5.0f} MB)"
              f"  {working:7.0f} MB  {r['seconds']:6.1f} s")


if __name__ == "__main__":
    main()
