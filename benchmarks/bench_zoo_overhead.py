"""Benchmark 1: engine overhead vs a raw model call on the same input, same run.

    .venv/bin/python benchmarks/bench_zoo_overhead.py

* stylize-3: ``engine.run_operation`` vs ``StyleTransfer.stylize`` (the ONNX session call);
* upscale-4x: ``engine.run_operation`` vs the spandrel model called on a prepared tensor
  (Real-ESRGAN x4plus from the ncnn weights; converted on the fly if not installed).
Goal: ratio <= 1.05 (the engine adds colour handling, limits, tiling and provenance).
"""

from __future__ import annotations

import time

from _zoo_common import ensure_x4plus, interleaved, machine, setup

setup(threads=1)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def photo(w, h):
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // w, y * 255 // h, ((x // 16 + y // 16) % 2) * 180 + 40], -1)
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def main():
    import torch

    from wagtail_gan.models_zoo import registry, runtime, sr, style
    from wagtail_gan.models_zoo.engine import run_operation

    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    device = runtime.select_device()
    print(f"device: {device}")

    img = photo(512, 384)
    engine_st = style._engine(device)
    res = interleaved({
        "raw": lambda: engine_st.stylize(img, style={3: 1.0}, max_size=0),
        "engine": lambda: run_operation("stylize-3", img),
    }, repeat=15)
    print(f"stylize-3 512x384: raw {res['raw'] * 1000:.1f} ms, engine {res['engine'] * 1000:.1f} ms,"
          f" ratio {res['engine'] / res['raw']:.3f}")

    path = ensure_x4plus()
    from django.test import override_settings

    with override_settings(WAGTAIL_GAN={"MODELS": {"realesrgan_x4plus": {"path": str(path)}},
                                        "TORCH_THREADS": 1, "DEVICE": device}):
        desc = sr.load(registry.get("realesrgan_x4plus"), device)
        small = photo(64, 48) if device == "cpu" else photo(256, 192)
        dtype = next(desc.model.parameters()).dtype
        x = runtime.pil_to_tensor(small).to(device=device, dtype=dtype)

        def raw():
            with torch.inference_mode():
                y = desc(x)
            if device != "cpu":
                torch.cuda.synchronize()
            return y

        def engine():
            out = run_operation("upscale-4x", small)
            if device != "cpu":
                torch.cuda.synchronize()
            return out

        res = interleaved({"raw": raw, "engine": engine}, repeat=7 if device == "cpu" else 15)
        print(f"upscale-4x {small.width}x{small.height} ({dtype}): raw {res['raw'] * 1000:.1f} ms,"
              f" engine {res['engine'] * 1000:.1f} ms, ratio {res['engine'] / res['raw']:.3f}")


if __name__ == "__main__":
    main()
