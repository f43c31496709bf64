"""Reading and writing video files with PyAV (FFmpeg): probe, decode to RGB frames, encode
H.264 MP4 (yuv420p, ``+faststart``) with AAC audio copied, or time-stretched for slow motion
(FFmpeg's ``atempo``: the pitch is kept).

Worker side (PyAV is in the ``worker`` and ``video`` extras); imported lazily by everything
the web tier loads. Every problem with an input file raises :class:`VideoError` with one line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
CRF = "20"
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


class VideoError(ValueError):
    """A file that cannot be read as a video, or one this site does not accept."""


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "width": self.width, "height": self.height, "fps": float(self.fps),
            "fps_fraction": f"{self.fps.numerator}/{self.fps.denominator}",
            "frames": self.frames, "duration": round(self.duration, 3),
            "has_audio": self.has_audio, "codec": self.codec, "audio_codec": self.audio_codec,
        }


def _av():
    try:
        import av
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
            width=ctx.width, height=ctx.height, fps=fps, frames=int(frames),
            duration=duration, has_audio=audio is not None, codec=ctx.name or "",
            audio_codec=(audio.codec_context.name or "") if audio is not None else "",
            audio_rate=(audio.codec_context.sample_rate or 0) if audio is not None else 0,
        )


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Decoded frames of the first video stream as HxWx3 uint8 RGB arrays, in order."""
    av = _av()
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as exc:
            raise VideoError(f"{Path(path).name} is damaged: {_first_line(exc)}") from None


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264 yuv420p needs even dimensions: round down (at least 2)."""
    return max(2, width - width % 2), max(2, height - height % 2)


def _atempo_chain(tempo: float) -> list[str]:
    """``atempo`` values whose product is ``tempo`` (each within FFmpeg's 0.5..2 range)."""
    parts = []
    while tempo < 0.5:
        parts.append("0.5")
        tempo /= 0.5
    while tempo > 2.0:
        parts.append("2.0")
        tempo /= 2.0
    parts.append(f"{tempo:.6f}")
    return parts


class VideoWriter:
    """H.264 MP4 writer: ``write(rgb_array)`` per frame at a constant ``fps``; ``close()``.

    ``audio_from``: a file whose first audio stream is re-encoded to AAC after the frames,
    played ``tempo`` times as fast (0.5 for 2x slow motion). ``metadata``: container tags
    (``title``, ``comment``: the provenance JSON)."""

    def __init__(self, path: str | Path, width: int, height: int, fps: Fraction, *,
                 audio_from: str | Path | None = None, tempo: float = 1.0,
                 metadata: dict[str, str] | None = None, crf: str = CRF):
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
        self.tempo = float(tempo)
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
        """Re-encode (and stretch) the source's audio; returns seconds of audio written."""
        av = _av()
        stream = self.audio_stream
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="fltp", layout=self._audio_layout, rate=rate,
                                      frame_size=stream.codec_context.frame_size or 1024)
        samples = 0
        with _open(self.audio_from) as src:
            astream = src.streams.audio[0]
            graph = None
            if abs(self.tempo - 1.0) > 1e-6:
                graph = av.filter.Graph()
                nodes = [graph.add_abuffer(template=astream)]
                nodes += [graph.add("atempo", value) for value in _atempo_chain(self.tempo)]
                nodes.append(graph.add("abuffersink"))
                graph.link_nodes(*nodes).configure()

            def encode(frames):
                nonlocal samples
                for frame in frames:
                    for out in resampler.resample(frame):
                        out.pts = samples
                        out.time_base = Fraction(1, rate)
                        samples += out.samples
                        self.container.mux(stream.encode(out))

            def pull_all():
                pulled = []
                while True:
                    try:
                        pulled.append(graph.pull())
                    except (av.BlockingIOError, av.EOFError):
                        return pulled

            try:
                for frame in src.decode(astream):
                    frame.pts = None  # timestamps come from the sample count
                    if graph is None:
                        encode([frame])
                    else:
                        graph.push(frame)
                        encode(pull_all())
            except av.FFmpegError as exc:
                raise VideoError(f"The audio of {Path(self.audio_from).name} is damaged: "
                                 f"{_first_line(exc)}") from None
            if graph is not None:
                graph.push(None)
                encode(pull_all())
        for out in resampler.resample(None):
            out.pts = samples
            out.time_base = Fraction(1, rate)
            samples += out.samples
            self.container.mux(stream.encode(out))
        self.container.mux(stream.encode(None))
        return samples / rate

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


def read_tags(path: str | Path) -> dict[str, str]:
    """Container metadata (``title``, ``comment``...) of a file."""
    with _open(path) as container:
        return dict(container.metadata)


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance JSON wagtail-gan wrote into a file's ``comment`` tag ({} if none)."""
    try:
        return json.loads(read_tags(path).get("comment", "") or "{}")
    except ValueError:
        return {}
