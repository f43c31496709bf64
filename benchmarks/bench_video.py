"""Video benchmarks. Speed on CPU at 480p: the ML engine (RIFE 4.6 IFNet, exact layout,
random weights - the speed does not depend on the weights) against the blend engine, in the
same run:

1. in-between frames per second (``engine.interpolator.between`` for one t, median of
   interleaved runs);
2. end to end: ``pipeline.interpolate_video`` at 2x on a short 854x480 H.264 clip (decode,
   in-betweens, encode), output frames per second.

Audio/video drift (``--only sync``, seconds): sources whose picture flashes while the sound
clicks (tests/video/avsync.py) - 24 fps, variable frame rate, audio starting 0.25 s late -
through 2x/4x frame rate and 2x/4x slow motion; printed: click onset minus flash frame, in ms,
worst of the events, against one output frame. The baseline in the same run: FFmpeg's
``atempo`` (pitch kept: the previous slow-motion audio) on the same clicks, over silence and
over a quiet tone.

    python benchmarks/bench_video.py [--threads 1] [--frames 12] [--repeat 5]
                                     [--only speed|sync]
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
    ap.add_argument("--only", choices=("speed", "sync"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-video-"))
    weights = tmp / "flownet.pkl"
    setup(args.threads, models_dir=str(tmp / "models"), DEVICE="cpu",
          MODELS={"rife_v4_6": {"path": str(weights)}})
    print(machine(), f"threads {args.threads}")
    if args.only != "sync":
        speed(args, tmp, weights)
    if args.only != "speed":
        sync(tmp)


def speed(args, tmp: Path, weights: Path) -> None:
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


SYNC_SOURCES = {
    "24 fps": {"flashes": (12, 36)},
    "variable (avg 18 fps)": {"times_ms": (0, 33, 133, 166, 233, 266, 366, 400, 466, 500, 600,
                                           633, 700, 733, 833, 866, 933, 966, 1066, 1100),
                              "flashes": (5, 14)},
    "24 fps, audio 0.25 s late": {"flashes": (12, 36), "audio_delay": 0.25},
}
RUNS = ((2, "fps"), (4, "fps"), (2, "slowmo"), (4, "slowmo"))


def sync(tmp: Path) -> None:
    from tests.video.avsync import constant_times, measure, write_flash_click
    from wagtail_gan.video import pipeline
    from wagtail_gan.video.engines import get_engine

    blend = get_engine("blend")
    print("A/V drift, click onset - flash frame (ms), worst of 2 events [one output frame]:")
    print(f"  {'source':28s}" + "".join(f"{f'{k}x {m}':>20s}" for k, m in RUNS))
    for name, spec in SYNC_SOURCES.items():
        src = tmp / "sync.mp4"
        clicks = write_flash_click(src, **{"times_ms": constant_times(48, 24), **spec})
        cells = []
        for factor, mode in RUNS:
            out = tmp / "sync-out.mp4"
            r = pipeline.interpolate_video(src, out, factor=factor, mode=mode, engine=blend)
            k = factor if mode == "slowmo" else 1
            worst = max((s.drift for s in measure(out, [t * k for t in clicks])), key=abs)
            cells.append(f"{worst * 1000:+7.2f} [{1000 / r['fps']:5.1f}]")
        print(f"  {name:28s}" + "".join(f"{c:>20s}" for c in cells))
    print("baseline: FFmpeg atempo (pitch kept), the same clicks, sound only (ms, worst of 2):")
    for background, tone in (("over silence", 0.0), ("over a 220 Hz tone", 220.0)):
        src = tmp / "tempo.mp4"
        clicks = write_flash_click(src, times_ms=constant_times(48, 24), flashes=(12, 36),
                                   tone=tone)
        shifts = [max((d for d in atempo_shifts(src, clicks, factor)), key=abs)
                  for factor in (2, 4)]
        print(f"  {background:28s}" + "".join(f"{f'{s * 1000:+7.2f} [41.7]':>20s}"
                                             for s in shifts)
              + "   (2x, 4x slow motion at 24 fps)")


def atempo_shifts(src: Path, clicks, factor: int) -> list[float]:
    """Where ``atempo`` (0.5 per stage, as the previous code chained it) puts each click,
    minus where slowing down should put it (seconds)."""
    import av
    import numpy as np

    from tests.video.avsync import click_onset

    with av.open(str(src)) as c:
        stream = c.streams.audio[0]
        rate = stream.codec_context.sample_rate
        graph = av.filter.Graph()
        nodes = [graph.add_abuffer(template=stream)]
        nodes += [graph.add("atempo", "0.5") for _ in range(factor // 2)]
        graph.link_nodes(*nodes, graph.add("abuffersink")).configure()
        out = []

        def pull():
            while True:
                try:
                    out.append(graph.pull().to_ndarray().mean(axis=0))
                except (av.BlockingIOError, av.EOFError):
                    return

        for frame in c.decode(stream):
            frame.pts = None
            graph.push(frame)
            pull()
        graph.push(None)
        pull()
    audio = np.concatenate(out)
    return [click_onset(audio, rate, t * factor) - t * factor for t in clicks]


if __name__ == "__main__":
    main()
