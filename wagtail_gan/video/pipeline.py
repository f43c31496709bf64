"""The two video pipelines (worker side, shared by ``gan_video``, video jobs and the
benchmark): frame-rate conversion / slow motion of a video, and a clip from stills.

Both decode and encode with :mod:`.avio`, take their frame timing from :mod:`.timing`, get
in-betweens from an :class:`~.engines.Engine` and report ``progress(done, total)`` in output
frames. Inputs are only read; the output is written to ``dst`` (a new file).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from . import avio, limits, timing
from .engines import Engine

Progress = Callable[[int, int], None] | None


def _tags(provenance: dict[str, Any] | None, title: str) -> dict[str, str]:
    tags = {"title": title[:200]}
    if provenance:
        tags["comment"] = json.dumps(provenance, sort_keys=True, default=str)
    return tags


def interpolate_video(src: str | Path, dst: str | Path, *, factor: int, mode: str = "fps",
                      engine: Engine, progress: Progress = None,
                      provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """``factor`` x the frame rate (``mode="fps"``, same duration) or ``factor`` x slower
    (``"slowmo"``, same frame rate, audio slowed down with it). Output frames are placed by
    the source frames' timestamps (variable frame rates included) and come out upright
    (rotation metadata applied). Returns what was written."""
    info = avio.probe(src)
    limits.check_video(info)
    line = avio.frame_times(src)  # refuses what cannot be timed, before any work
    if len(line.times) > limits.max_source_frames(info.fps):
        raise avio.VideoError(limits.too_long_message(float(line.end)))
    plan = timing.retime(line, factor, mode)
    writer = avio.VideoWriter(dst, info.width, info.height, plan.fps,
                              audio_from=src if info.has_audio else None, tempo=plan.tempo,
                              video_start=line.start, metadata=_tags(provenance, Path(dst).stem))
    try:
        _write_plan(src, line, plan, engine, writer, progress)
        result = writer.close()
    except BaseException:
        writer.abort()
        Path(dst).unlink(missing_ok=True)
        raise
    return {**result, "source": info.as_dict(), "source_frames": len(line.times),
            "variable_frame_rate": line.variable, "factor": factor, "mode": mode,
            "generated": plan.generated, "audio": bool(info.has_audio), "tempo": plan.tempo}


def _write_plan(src, line: timing.Timeline, plan: timing.Plan, engine: Engine,
                writer: avio.VideoWriter, progress: Progress) -> None:
    """Decode ``src`` once, keeping two frames, and write the plan's frames in order."""
    by_frame: dict[int, list[float]] = {}
    for i, t in plan.frames:
        by_frame.setdefault(i, []).append(t)
    done = 0

    def emit(i: int, a: np.ndarray, b: np.ndarray | None) -> None:
        nonlocal done
        ts = by_frame.get(i, [])
        wanted = [t for t in ts if t]  # never for the last frame (b is None)
        mids = iter(engine.interpolator.between(a, b, wanted) if wanted else ())
        for t in ts:
            writer.write(next(mids) if t else a)
        done += len(ts)
        if ts and progress:
            progress(done, plan.total)

    if progress:  # the total is known from here on: "0 of 480 frames", not "0 / 0"
        progress(0, plan.total)
    damaged = avio.VideoError(f"{Path(src).name} is damaged: its frames do not match their "
                              "timestamps.")
    prev, count = None, 0
    for pts, frame in avio.decode(src):
        if count >= len(line.stamps) or (pts is not None and pts != line.stamps[count]):
            raise damaged
        if prev is not None:
            emit(count - 1, prev, frame)
        prev, count = frame, count + 1
    if prev is None:
        raise avio.VideoError(f"{Path(src).name} has no decodable frames.")
    if count != len(line.times):
        raise damaged
    emit(count - 1, prev, None)


def fit_stills(images: Sequence[Image.Image]) -> list[np.ndarray]:
    """The stills as same-size RGB arrays: the first one's size (scaled down to the pixel
    limit, even), the others scaled and centre-cropped to it."""
    first = ImageOps.exif_transpose(images[0]).convert("RGB")
    w, h = limits.fit_pixels(first.width, first.height)
    w, h = avio.even_size(w, h)
    out = []
    for img in images:
        img = ImageOps.exif_transpose(img).convert("RGB")
        out.append(np.asarray(ImageOps.fit(img, (w, h), Image.Resampling.LANCZOS)))
    return out


def clip_from_stills(images: Sequence[Image.Image], dst: str | Path, *, seconds: float,
                     fps: int, hold: float, engine: Engine, progress: Progress = None,
                     provenance: dict[str, Any] | None = None,
                     title: str = "") -> dict[str, Any]:
    """A ``seconds``-long clip at ``fps`` that holds each still ``hold`` seconds and moves
    to the next through generated in-betweens."""
    limits.check_clip(seconds, fps)
    plan = timing.stills_plan(len(images), seconds=seconds, fps=fps, hold=hold)
    frames = fit_stills(images)
    h, w = frames[0].shape[:2]
    writer = avio.VideoWriter(dst, w, h, plan.fps,
                              metadata=_tags(provenance, title or Path(dst).stem))
    if progress:
        progress(0, plan.total)
    try:
        for done, (i, t) in enumerate(plan.frames, start=1):
            if t:
                writer.write(engine.interpolator.between(frames[i], frames[i + 1], [t])[0])
            else:
                writer.write(frames[i])
            if progress:
                progress(done, plan.total)
        result = writer.close()
    except BaseException:
        writer.abort()
        Path(dst).unlink(missing_ok=True)
        raise
    return {**result, "stills": len(images), "hold": hold, "generated": plan.generated}


def thumbnail(path: str | Path, max_side: int = 640) -> Image.Image | None:
    """The middle frame of a video, for the media library's thumbnail."""
    try:
        info = avio.probe(path)
        middle = max(0, info.frames // 2)
        for i, frame in enumerate(avio.iter_frames(path)):
            if i >= middle:
                img = Image.fromarray(frame, "RGB")
                img.thumbnail((max_side, max_side))
                return img
    except avio.VideoError:
        return None
    return None
