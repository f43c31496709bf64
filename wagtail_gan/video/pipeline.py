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
    (``"slowmo"``, same frame rate, audio stretched). Returns what was written."""
    info = avio.probe(src)
    limits.check_video(info)
    plan = timing.interpolation_plan(max(1, info.frames), info.fps, factor, mode)
    max_frames = limits.max_source_frames(info.fps)
    times = [j / factor for j in range(1, factor)]
    writer = avio.VideoWriter(dst, info.width, info.height, plan.fps,
                              audio_from=src if info.has_audio else None, tempo=plan.tempo,
                              metadata=_tags(provenance, Path(dst).stem))
    total = plan.total
    done = 0
    prev = None
    count = 0
    try:
        for frame in avio.iter_frames(src):
            count += 1
            if count > max_frames:
                raise avio.VideoError(limits.too_long_message(count / float(info.fps)))
            if prev is not None:
                writer.write(prev)
                for mid in engine.interpolator.between(prev, frame, times):
                    writer.write(mid)
                done += factor
                total = max(total, done + factor)
                if progress:
                    progress(done, total)
            prev = frame
        if prev is None:
            raise avio.VideoError(f"{Path(src).name} has no decodable frames.")
        for _ in range(factor):
            writer.write(prev)
        done += factor
        if progress:
            progress(done, done)
        result = writer.close()
    except BaseException:
        writer.abort()
        Path(dst).unlink(missing_ok=True)
        raise
    return {**result, "source": info.as_dict(), "source_frames": count, "factor": factor,
            "mode": mode, "generated": (count - 1) * (factor - 1),
            "audio": bool(info.has_audio), "tempo": plan.tempo}


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
