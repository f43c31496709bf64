"""Reading and writing video files with PyAV (FFmpeg): probe, time and decode frames (upright:
the rotation phones record in the track header is applied to the pixels), encode H.264 MP4
(yuv420p, ``+faststart``) with the source's audio re-encoded to AAC from the first frame's
time on, or slowed down for slow motion (resampled: the pitch drops with the speed, and every
sound stays on its frame).

Worker side (PyAV is in the ``worker`` and ``video`` extras); imported lazily by everything
the web tier loads. Every problem with an input file raises :class:`VideoError` with one line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from . import timing
from .errors import VideoError
from .orientation import UPRIGHT, Orientation, UnsupportedTurn, orientation

logger = logging.getLogger(__name__)

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
CRF = "20"
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: Fraction
    frames: int
    duration: float
    has_audio: bool
    codec: str
    audio_codec: str = ""
    audio_rate: int = 0
    # Clockwise quarter turns a player applies (the phone's "rotate"); width and height above
    # are the upright picture's.
    rotation: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "width": self.width, "height": self.height, "fps": float(self.fps),
            "fps_fraction": f"{self.fps.numerator}/{self.fps.denominator}",
            "frames": self.frames, "duration": round(self.duration, 3),
            "has_audio": self.has_audio, "codec": self.codec, "audio_codec": self.audio_codec,
            "rotation": self.rotation,
        }


def _av():
    try:
        import av  # noqa: PLC0415 - PyAV is the optional video extra
    except ImportError as exc:  # pragma: no cover - the extras install it
        raise VideoError("PyAV is not installed: pip install 'wagtail-gan[video]'") from exc
    return av


def _open(path: str | Path):
    av = _av()
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"Cannot read {Path(path).name} as a video ({_first_line(exc)}).") \
            from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def probe(path: str | Path) -> VideoInfo:
    """What a video file holds; :class:`VideoError` when it has no decodable video stream."""
    with _open(path) as container:
        if not container.streams.video:
            raise VideoError(f"{Path(path).name} has no video stream.")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if not ctx.width or not ctx.height:
            raise VideoError(f"{Path(path).name}: the video stream has no picture size.")
        fps = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not fps or fps <= 0:
            raise VideoError(f"{Path(path).name}: the frame rate is unknown.")
        fps = Fraction(fps).limit_denominator(1001)
        turn = _first_orientation(container, stream, path)
        width, height = (ctx.height, ctx.width) if turn.transpose else (ctx.width, ctx.height)
        duration = 0.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        frames = stream.frames or round(duration * fps)
        if not duration and frames:
            duration = float(frames / fps)
        audio = container.streams.audio[0] if container.streams.audio else None
        return VideoInfo(
            width=width, height=height, fps=fps, frames=int(frames), rotation=turn.rotation,
            duration=duration, has_audio=audio is not None, codec=ctx.name or "",
            audio_codec=(audio.codec_context.name or "") if audio is not None else "",
            audio_rate=(audio.codec_context.sample_rate or 0) if audio is not None else 0,
        )


def _named_orientation(frame, name: str) -> Orientation:
    try:
        return orientation(frame)
    except UnsupportedTurn as exc:
        raise VideoError(f"{name}: {exc}.") from None


def _first_orientation(container, stream, path) -> Orientation:
    av = _av()
    try:
        for frame in container.decode(stream):
            return _named_orientation(frame, Path(path).name)
    except av.FFmpegError as exc:
        raise VideoError(f"{Path(path).name} is damaged: {_first_line(exc)}") from None
    raise VideoError(f"{Path(path).name} has no decodable frames.")


def frame_times(path: str | Path) -> timing.Timeline:
    """When each frame of the first video stream is shown, from its packets' timestamps (no
    decoding, so a file that cannot be timed is refused before any work): see
    :func:`.timing.timeline`."""
    av = _av()
    name = Path(path).name
    pts: list[int] = []
    with _open(path) as container:
        stream = container.streams.video[0]
        try:
            for packet in container.demux(stream):
                if not packet.size or packet.is_discard:  # the final flush; edit-list trims
                    continue
                if packet.pts is None:
                    raise VideoError(f"{name} cannot be timed: some frames have no timestamp "
                                     "(a raw stream?); put it in an MP4 first.")
                pts.append(packet.pts)
        except av.FFmpegError as exc:
            raise VideoError(f"{name} is damaged: {_first_line(exc)}") from None
        tb = stream.time_base
        if stream.duration:  # the track's end (a packet's duration is in decoding order)
            end = (stream.start_time or 0) + stream.duration
        else:
            end = round(Fraction(container.duration or 0, 1_000_000) / tb)
        try:
            return timing.timeline(pts, tb, last_duration=end - max(pts, default=0),
                                   nominal_rates=(stream.guessed_rate, stream.average_rate))
        except timing.TimingError as exc:
            raise VideoError(f"{name} cannot be timed: {exc}.") from None


def decode(path: str | Path) -> Iterator[tuple[int | None, np.ndarray]]:
    """``(pts, rgb)`` for each frame of the first video stream in presentation order: the
    timestamp (stream time base) and the upright picture, HxWx3 uint8 RGB."""
    av = _av()
    name = Path(path).name
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        shape = None
        try:
            for frame in container.decode(stream):
                turn = _named_orientation(frame, name)
                rgb = frame.to_ndarray(format="rgb24")
                if turn != UPRIGHT:
                    rgb = np.ascontiguousarray(turn.apply(rgb))
                if shape is not None and rgb.shape != shape:
                    raise VideoError(f"{name}: the picture size changes at {frame.time:.3f} s; "
                                     "only videos of one size are supported.")
                shape = rgb.shape
                yield frame.pts, rgb
        except av.FFmpegError as exc:
            raise VideoError(f"{name} is damaged: {_first_line(exc)}") from None


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """The upright decoded frames of the first video stream (HxWx3 uint8 RGB), in order."""
    for _, rgb in decode(path):
        yield rgb


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264 yuv420p needs even dimensions: round down (at least 2)."""
    return max(2, width - width % 2), max(2, height - height % 2)


class VideoWriter:
    """H.264 MP4 writer: ``write(rgb_array)`` per frame at a constant ``fps``; ``close()``.

    ``audio_from``: a file whose first audio stream is re-encoded to AAC after the frames,
    from ``video_start`` (the source time of the first frame written) on, played ``tempo``
    times as fast (0.5 for 2x slow motion: resampled, so the pitch drops an octave).
    ``metadata``: container tags (``title``, ``comment``: the provenance JSON)."""

    def __init__(self, path: str | Path, width: int, height: int, fps: Fraction, *,
                 audio_from: str | Path | None = None, tempo: float = 1.0,
                 video_start: Fraction = Fraction(0), metadata: dict[str, str] | None = None,
                 crf: str = CRF):
        av = _av()
        self.path = str(path)
        self.width, self.height = even_size(width, height)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.container = av.open(self.path, mode="w", format="mp4",
                                 options={"movflags": "+faststart"})
        for key, value in (metadata or {}).items():
            self.container.metadata[key] = value
        self.stream = self.container.add_stream(VIDEO_CODEC, rate=self.fps,
                                                options={"crf": str(crf), "preset": "medium"})
        self.stream.width, self.stream.height = self.width, self.height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = 1 / self.fps
        self.audio_from = audio_from
        self.slower = round(1 / float(tempo))
        if self.slower < 1 or abs(self.slower * float(tempo) - 1) > 1e-9:
            raise ValueError("tempo must be 1/n for a whole n")
        self.video_start = Fraction(video_start)
        self.audio_stream = None
        self._audio_layout = None
        if audio_from is not None:
            self._add_audio_stream(audio_from)
        self.frames = 0

    def _add_audio_stream(self, src) -> None:
        with _open(src) as container:
            if not container.streams.audio:
                self.audio_from = None
                return
            ctx = container.streams.audio[0].codec_context
            rate = ctx.sample_rate or 48000
            layout = "mono" if ctx.channels == 1 else "stereo"
        rate = rate if rate in AAC_RATES else 48000
        self.audio_stream = self.container.add_stream(AUDIO_CODEC, rate=rate)
        self.audio_stream.layout = layout
        self._audio_layout = layout

    def write(self, rgb: np.ndarray) -> None:
        av = _av()
        if rgb.shape[0] != self.height or rgb.shape[1] != self.width:
            rgb = rgb[: self.height, : self.width]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames
        frame.time_base = 1 / self.fps
        self.container.mux(self.stream.encode(frame))
        self.frames += 1

    def _write_audio(self) -> float:
        """Re-encode (and slow down) the source's audio; returns seconds of audio written.

        Slowing down resamples to ``slower`` x the output rate and plays the samples at the
        output rate: sample-exact timing. (FFmpeg's pitch-keeping ``atempo`` moves sounds by
        up to several frames, see benchmarks/bench_video.py.)"""
        av = _av()
        stream = self.audio_stream
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="fltp", layout=self._audio_layout,
                                      rate=rate * self.slower)
        out = _AudioOut(self.container, stream, self._audio_layout, rate)
        with _open(self.audio_from) as src:
            astream = src.streams.audio[0]
            try:
                for frame in src.decode(astream):
                    if out.skip is None:  # line up with the first video frame
                        begins = Fraction(frame.pts) * astream.time_base \
                            if frame.pts is not None else self.video_start
                        out.start_at(round((begins - self.video_start) * self.slower * rate))
                    frame.pts = None  # timestamps come from the sample count
                    for part in resampler.resample(frame):
                        out.add(part.to_ndarray())
            except av.FFmpegError as exc:
                raise VideoError(f"The audio of {Path(self.audio_from).name} is damaged: "
                                 f"{_first_line(exc)}") from None
        for part in resampler.resample(None):
            out.add(part.to_ndarray())
        return out.close()

    def close(self) -> dict[str, Any]:
        self.container.mux(self.stream.encode(None))
        audio_seconds = 0.0
        if self.audio_stream is not None:
            audio_seconds = self._write_audio()
        self.container.close()
        return {"frames": self.frames, "fps": float(self.fps),
                "duration": round(float(self.frames / self.fps), 3),
                "audio_seconds": round(audio_seconds, 3), "width": self.width,
                "height": self.height}

    def abort(self) -> None:
        try:
            self.container.close()
        except Exception:  # pragma: no cover - best effort
            logger.debug("closing an aborted writer failed", exc_info=True)


class _AudioOut:
    """Planar float samples in, AAC frames of the encoder's size out, timestamped by sample
    count; ``start_at(n)`` puts ``n`` samples of silence first (negative: drops ``-n``)."""

    def __init__(self, container, stream, layout: str, rate: int):
        self.container, self.stream, self.layout, self.rate = container, stream, layout, rate
        self.size = stream.codec_context.frame_size or 1024
        self.pending = np.zeros((1 if layout == "mono" else 2, 0), np.float32)
        self.samples = 0
        self.skip: int | None = None

    def start_at(self, offset: int) -> None:
        self.skip = max(0, -offset)
        if offset > 0:
            self.add(np.zeros((self.pending.shape[0], offset), np.float32))

    def add(self, chunk: np.ndarray) -> None:
        if self.skip:
            dropped = min(self.skip, chunk.shape[1])
            chunk, self.skip = chunk[:, dropped:], self.skip - dropped
        self.pending = np.concatenate([self.pending, chunk.astype(np.float32)], axis=1)
        while self.pending.shape[1] >= self.size:
            self._encode(self.pending[:, : self.size])
            self.pending = self.pending[:, self.size:]

    def _encode(self, samples: np.ndarray) -> None:
        av = _av()
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp",
                                           layout=self.layout)
        frame.sample_rate, frame.pts = self.rate, self.samples
        frame.time_base = Fraction(1, self.rate)
        self.samples += samples.shape[1]
        self.container.mux(self.stream.encode(frame))

    def close(self) -> float:
        if self.pending.shape[1]:
            self._encode(self.pending)
        self.container.mux(self.stream.encode(None))
        return self.samples / self.rate
