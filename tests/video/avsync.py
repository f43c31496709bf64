"""Audio/video sync measurement, shared by tests/video/test_sync.py and
benchmarks/bench_video.py: a file whose video flashes white at known times while its audio
clicks at the same times, and a reader that finds both in a (processed) file."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

RATE = 48000
CLICK = 96  # samples: a 2 ms burst of 3 kHz


def write_flash_click(path, *, times_ms=(0, 40, 80, 120, 160, 200), flashes=(3, 9),
                      width=64, height=48, seconds=None, audio_delay=0.0, tone=0.0):
    """A video whose frames are shown at ``times_ms`` (milliseconds: irregular for a
    variable frame rate), frames ``flashes`` white and the others dark, with a mono AAC
    track that clicks when each flash frame starts; ``audio_delay`` s shifts the audio's
    start; ``tone`` Hz adds a quiet sine under the clicks. Returns the click times (s)."""
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.time_base = Fraction(1, 1000)
    astream = container.add_stream("aac", rate=RATE)
    astream.layout = "mono"
    for i, ms in enumerate(times_ms):
        level = 235 if i in flashes else 20
        frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), level, np.uint8),
                                           format="rgb24")
        frame.pts, frame.time_base = ms, Fraction(1, 1000)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    clicks = [times_ms[i] / 1000 for i in flashes]
    step = times_ms[-1] - times_ms[-2] if len(times_ms) > 1 else 40
    total = round(RATE * (seconds or (times_ms[-1] + step) / 1000))
    signal = np.zeros(total, np.float32)
    if tone:
        signal += (0.1 * np.sin(2 * np.pi * tone * np.arange(total) / RATE)).astype(np.float32)
    burst = 0.8 * np.sin(2 * np.pi * 3000 * np.arange(CLICK) / RATE)
    for t in clicks:
        start = round((t - audio_delay) * RATE)
        if 0 <= start < total - CLICK:
            signal[start:start + CLICK] += burst.astype(np.float32)
    offset = round(audio_delay * RATE)
    for pos in range(0, total, 1024):
        frame = av.AudioFrame.from_ndarray(signal[None, pos:pos + 1024].copy(), format="fltp",
                                           layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, pos + offset, Fraction(1, RATE)
        container.mux(astream.encode(frame))
    container.mux(astream.encode(None))
    container.close()
    return clicks


def constant_times(frames: int, fps: int) -> tuple[int, ...]:
    return tuple(round(i * 1000 / fps) for i in range(frames))


@dataclass
class Sync:
    flash: float  # when the brightest frame near the event starts, s
    click: float  # when the click's first loud sample plays, s

    @property
    def drift(self) -> float:
        return self.click - self.flash


def measure(path, expected: list[float], window: float = 0.2) -> list[Sync]:
    """For each ``expected`` event time (s, output timeline), the brightest frame and the
    click onset (first sample at half the window's peak) within ``window`` s of it."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(float(f.time), float(f.to_ndarray(format="gray").mean()))
                  for f in container.decode(stream)]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks, start = [], None
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.time or 0.0)
            chunks.append(frame.to_ndarray().mean(axis=0))
    audio = np.concatenate(chunks)
    found = []
    for t in expected:
        near = [(lum, ft) for ft, lum in frames if abs(ft - t) <= window]
        found.append(Sync(max(near)[1], start + click_onset(audio, rate, t - start, window)))
    return found


def click_onset(audio: np.ndarray, rate: int, t: float, window: float = 0.2) -> float:
    """When the click near ``t`` s of a mono signal starts: the first sample whose change
    reaches half the largest change within ``window`` s (the quiet tone changes slowly)."""
    change = np.abs(np.diff(audio, prepend=0.0))
    lo = max(0, round((t - window) * rate))
    seg = change[lo:round((t + window) * rate)]
    return (lo + int(np.nonzero(seg >= 0.5 * seg.max())[0][0])) / rate


def dominant_hz(path, seconds=(0.1, 0.6)) -> float:
    """The strongest frequency of a file's audio between ``seconds`` (s)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        audio = np.concatenate([f.to_ndarray().mean(axis=0)
                                for f in container.decode(stream)])
    seg = audio[round(seconds[0] * rate):round(seconds[1] * rate)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    return float(np.fft.rfftfreq(len(seg), 1 / rate)[int(np.argmax(spectrum))])
