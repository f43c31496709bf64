"""Variable-frame-rate sources: output frames are placed by each source frame's timestamp, not
by a nominal rate; files whose frames cannot be timed are refused before any work."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tests.video.helpers import frame_at, interpolation_plan
from wagtail_gan.video import avio, pipeline, timing
from wagtail_gan.video.engines import blend_engine

av = pytest.importorskip("av")
pytestmark = pytest.mark.ml

# Milliseconds at which a phone showed its frames: 30 fps, a stall, 30 fps, a stall
# (12 frames in 0.666 s: 18 fps on average).
TIMES_MS = (0, 33, 67, 100, 133, 167, 200, 400, 433, 467, 500, 633)
END_MS = 666


def level(ms: float) -> float:
    """Grey level of the test picture at a time: a ramp, so time can be read off a frame."""
    return 20 + 200 * ms / END_MS


def write_vfr(path, times_ms=TIMES_MS):
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    stream.codec_context.time_base = Fraction(1, 1000)
    for ms in times_ms:
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), round(level(ms)), np.uint8),
                                           format="rgb24")
        frame.pts, frame.time_base = ms, Fraction(1, 1000)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    return path


class Counting:
    """The blend engine, counting its calls (work done)."""

    def __init__(self):
        self.engine = blend_engine()
        self.calls = 0
        inner = self.engine.interpolator

        class Wrapped:
            def between(_, a, b, times):
                self.calls += 1
                return inner.between(a, b, times)

        self.engine.interpolator = Wrapped()


def test_timeline_of_irregular_timestamps():
    line = timing.timeline([p * 16 for p in TIMES_MS], Fraction(1, 16000), last_duration=533)
    assert line.variable and line.rate == 18  # 12 frames in 0.666 s, rounded
    assert line.times[2] == Fraction(67, 1000) and line.end == Fraction(10128 + 533, 16000)
    plan = timing.retime(line, 2)
    assert plan.fps == 36 and plan.total == 24
    # Output frame 9 shows 9/36 s = 0.25 s: a quarter of the way from 0.2 s to 0.4 s (a
    # stall is a gap the camera did not fill: in-betweens move through it).
    assert plan.frames[9] == (6, pytest.approx(0.25))
    assert plan.frames[18] == (10, 0.0)  # 18/36 s = 0.5 s: the frame shown at 0.5 s


def test_constant_rate_with_a_coarse_clock_is_not_variable():
    # 29.97 fps in a 1/600 s clock (phones): intervals of 20 and 21 ticks.
    pts = [round(i * 1001 / 30000 * 600) for i in range(30)]
    line = timing.timeline(pts, Fraction(1, 600), nominal_rates=[Fraction(30000, 1001)])
    assert not line.variable and line.rate == Fraction(30000, 1001)
    plan = timing.retime(line, 2)
    assert plan.generated == 29 and plan.frames[:3] == [(0, 0.0), (0, 0.5), (1, 0.0)]
    # 24 fps stamped in whole milliseconds (Matroska), then remuxed into a 1/16000 s clock.
    for pts, tb in (([round(i * 1000 / 24) for i in range(48)], Fraction(1, 1000)),
                    ([round(i * 1000 / 24) * 16 for i in range(48)], Fraction(1, 16000))):
        line = timing.timeline(pts, tb)
        assert not line.variable and line.rate == 24 and line.times[5] == Fraction(5, 24)


def test_shared_timestamps_are_refused():
    with pytest.raises(timing.TimingError, match="share the timestamp 0.083 s"):
        timing.timeline([0, 83, 83, 166], Fraction(1, 1000))


@pytest.mark.parametrize("factor,mode", [(2, "fps"), (4, "fps"), (2, "slowmo")])
def test_vfr_frames_are_placed_by_their_timestamps(tmp_path, factor, mode):
    src = write_vfr(tmp_path / "vfr.mp4")
    out = tmp_path / "out.mp4"
    result = pipeline.interpolate_video(src, out, factor=factor, mode=mode,
                                        engine=blend_engine())
    assert result["variable_frame_rate"] and result["source_frames"] == 12
    rate = 18 * factor
    with av.open(str(out)) as c:
        got = [float(f.to_ndarray(format="gray").mean()) for f in c.decode(video=0)]
    assert len(got) == result["frames"] == 12 * factor  # 0.667 s at 18 x factor fps
    # Each output frame shows the source at k / rate s: the grey ramp says which time it is.
    ms = np.minimum(np.arange(len(got)) * 1000 / rate, TIMES_MS[-1])
    expected = np.array([level(m) for m in ms])
    assert np.abs(np.array(got) - expected).max() < 3
    # Frames placed at a nominal rate (one every 1/18 s, as before) would be far off.
    plan = interpolation_plan(12, Fraction(18), factor, mode)
    nominal = [level(TIMES_MS[i]) + t * (level(TIMES_MS[min(i + 1, 11)]) - level(TIMES_MS[i]))
               for i, t in plan.frames]
    assert np.abs(np.array(nominal) - expected).max() > 15


def test_constant_rate_source_is_unchanged(make_video, tmp_path):
    src = make_video(frames=5, fps=12, audio=False)
    line = avio.frame_times(src)
    assert not line.variable and line.rate == 12 and len(line.times) == 5
    counting = Counting()
    result = pipeline.interpolate_video(src, tmp_path / "o.mp4", factor=4,
                                        engine=counting.engine)
    assert result["generated"] == 4 * 3 and counting.calls == 4  # one call per pair


def write_shared_timestamps(path):
    """A Matroska file whose second and third frames claim the same time."""
    container = av.open(str(path), "w", format="matroska")
    stream = container.add_stream("mpeg4", rate=12)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    stream.codec_context.time_base = Fraction(1, 1000)
    packets = []
    for i in range(5):
        frame = av.VideoFrame.from_ndarray(frame_at(i, 64, 48), format="rgb24")
        frame.pts, frame.time_base = i * 83, Fraction(1, 1000)
        packets += stream.encode(frame)
    packets += stream.encode(None)
    for i, (packet, ms) in enumerate(zip(packets, (0, 83, 83, 250, 333), strict=True)):
        packet.dts, packet.pts, packet.time_base = i, ms, Fraction(1, 1000)
        container.mux(packet)
    container.close()
    return path


def write_raw_h264(path):
    """An H.264 elementary stream: frames without timestamps (its speed is a guess)."""
    container = av.open(str(path), "w", format="h264")
    stream = container.add_stream("libx264", rate=12)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for i in range(4):
        frame = av.VideoFrame.from_ndarray(frame_at(i, 64, 48), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, 12)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    return path


@pytest.mark.parametrize("write,message", [
    (write_shared_timestamps, "shared.mkv cannot be timed: two frames share the timestamp "
                              "0.083 s"),
    (write_raw_h264, "raw.h264 cannot be timed: some frames have no timestamp"),
])
def test_untimeable_files_are_refused_before_any_work(tmp_path, write, message):
    name = "shared.mkv" if write is write_shared_timestamps else "raw.h264"
    src = write(tmp_path / name)
    counting, seen = Counting(), []
    out = tmp_path / "out.mp4"
    with pytest.raises(avio.VideoError) as exc:
        pipeline.interpolate_video(src, out, factor=2, engine=counting.engine,
                                   progress=lambda d, t: seen.append(d))
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)
    assert counting.calls == 0 and seen == [] and not out.exists()
