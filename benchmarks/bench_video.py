"""Frame interpolation speed on CPU at 480p: the ML engine (RIFE 4.6 IFNet, exact layout,
random weights - the speed does not depend on the weights) against the blend engine, in the
same run. Two measures:

1. in-between frames per second (``engine.interpolator.between`` for one t, median of
   interleaved runs);
2. end to end: ``pipeline.interpolate_video`` at 2x on a short 854x480 H.264 clip (decode,
   in-betweens, encode), output frames per second.

    python benchmarks/bench_video.py [--threads 1] [--frames 12] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _zoo_common import interleaved, machine, setup

W, H = 854, 480


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-video-"))
    weights = tmp / "flownet.pkl"
    setup(args.threads, models_dir=str(tmp / "models"), DEVICE="cpu",
          MODELS={"rife_v4_6": {"path": str(weights)}})
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.video.conftest import frame_at, ifnet_state_dict, write_video
    from wagtail_gan.video import pipeline
    from wagtail_gan.video.engines import get_engine

    torch.save(ifnet_state_dict(), weights)
    model, blend = get_engine("model"), get_engine("blend")
    a, b = frame_at(0, W, H), frame_at(5, W, H)
    per = interleaved({
        "model": lambda: model.interpolator.between(a, b, [0.5]),
        "blend": lambda: blend.interpolator.between(a, b, [0.5]),
    }, repeat=args.repeat, warmup=1)
    print(machine(), f"threads {args.threads}")
    print(f"in-between frames at {W}x{H} (padded to 896x512 for the model):")
    for name, sec in per.items():
        print(f"  {name:6s} {sec * 1000:8.1f} ms/frame  {1 / sec:8.2f} frames/s")
    print(f"  model / blend time: {per['model'] / per['blend']:.0f}x")

    src = write_video(tmp / "src.mp4", frames=args.frames, fps=24, width=W, height=H)
    print(f"end to end, 2x of {args.frames} frames at {W}x{H} (24 -> 48 fps, with audio):")
    for name, engine in (("model", model), ("blend", blend)):
        t = time.perf_counter()
        r = pipeline.interpolate_video(src, tmp / f"{name}.mp4", factor=2, engine=engine)
        sec = time.perf_counter() - t
        print(f"  {name:6s} {sec:7.2f} s  {r['frames'] / sec:7.2f} output frames/s  "
              f"({r['generated']} generated)")


if __name__ == "__main__":
    main()
