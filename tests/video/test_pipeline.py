"""Frame timing, decode/encode with PyAV, audio, and both pipelines on the blend engine."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from tests.video.helpers import decoded, frame_at, interpolation_plan, read_provenance
from wagtail_gan.video import avio, pipeline, timing
from wagtail_gan.video.engines import blend_engine
from wagtail_gan.video.limits import VideoLimit

pytestmark = pytest.mark.ml


def test_interpolation_plan_2x_keeps_duration():
    plan = interpolation_plan(5, Fraction(12), 2)
    assert plan.total == 10 and plan.fps == 24 and plan.duration == pytest.approx(5 / 12)
    assert plan.frames[:3] == [(0, 0.0), (0, 0.5), (1, 0.0)]
    assert plan.frames[-2:] == [(4, 0.0), (4, 0.0)]
    assert plan.generated == 4 and plan.tempo == 1.0


def test_slowmo_plan_keeps_fps_and_stretches_audio():
    plan = interpolation_plan(5, Fraction(30000, 1001), 4, "slowmo")
    assert plan.fps == Fraction(30000, 1001) and plan.total == 20 and plan.tempo == 0.25
    assert [t for _, t in plan.frames[:4]] == [0.0, 0.25, 0.5, 0.75]


def test_stills_plan_lengths_and_holds():
    plan = timing.stills_plan(3, seconds=3, fps=24, hold=0.5)
    assert plan.total == 72
    assert plan.frames[:12] == [(0, 0.0)] * 12
    assert plan.frames[-12:] == [(2, 0.0)] * 12
    assert plan.generated == 72 - 36
    ts = [t for i, t in plan.frames if i == 0 and t]
    assert ts == sorted(ts) and 0 < ts[0] and ts[-1] < 1
    with pytest.raises(ValueError, match="too short"):
        timing.stills_plan(3, seconds=1, fps=10, hold=0.5)


@pytest.mark.parametrize("factor", [2, 4])
def test_interpolate_fps_frames_timestamps_duration_audio(make_video, tmp_path, factor):
    src = make_video(frames=6, fps=12)
    before = src.read_bytes()
    out = tmp_path / "out.mp4"
    seen = []
    result = pipeline.interpolate_video(src, out, factor=factor, engine=blend_engine(),
                                        progress=lambda d, t: seen.append((d, t)),
                                        provenance={"engine": "blend"})
    assert src.read_bytes() == before
    times, vdur, adur = decoded(out)
    assert len(times) == 6 * factor == result["frames"]
    step = 1 / (12 * factor)
    assert np.allclose(np.diff(times), step, atol=1e-3)
    assert vdur == pytest.approx(6 / 12, abs=1e-3)
    assert adur == pytest.approx(6 / 12, abs=0.05)  # audio kept, same length
    assert avio.probe(out).fps == 12 * factor
    assert seen[0] == (0, 6 * factor)  # the total is reported before the first frame
    assert seen[-1] == (6 * factor, 6 * factor)
    assert read_provenance(out) == {"engine": "blend"}
    assert result["generated"] == 5 * (factor - 1)


def test_slowmo_stretches_video_and_audio(make_video, tmp_path):
    src = make_video(frames=6, fps=12)
    out = tmp_path / "slow.mp4"
    pipeline.interpolate_video(src, out, factor=2, mode="slowmo", engine=blend_engine())
    times, vdur, adur = decoded(out)
    assert len(times) == 12
    assert np.allclose(np.diff(times), 1 / 12, atol=1e-3)
    assert vdur == pytest.approx(1.0, abs=1e-3)
    assert adur == pytest.approx(1.0, abs=0.06)


def test_blend_in_betweens_are_between(make_video, tmp_path):
    src = make_video(frames=3, fps=10, audio=False)
    out = tmp_path / "out.mp4"
    pipeline.interpolate_video(src, out, factor=2, engine=blend_engine())
    frames = list(avio.iter_frames(out))
    a, mid, b = (f.astype(int) for f in frames[:3])
    assert np.abs(mid - (a + b) / 2).mean() < 6  # H.264 noise only
    times, _, adur = decoded(out)
    assert adur is None and len(times) == 6


def test_stills_clip_has_requested_length(tmp_path):
    stills = [Image.fromarray(frame_at(i * 5, 80, 60)) for i in range(3)]
    stills[2] = stills[2].resize((120, 70))  # another size: fitted to the first
    out = tmp_path / "clip.mp4"
    result = pipeline.clip_from_stills(stills, out, seconds=2, fps=12, hold=0.25,
                                       engine=blend_engine())
    times, vdur, adur = decoded(out)
    assert len(times) == 24 == result["frames"]
    assert vdur == pytest.approx(2.0, abs=1e-3) and adur is None
    info = avio.probe(out)
    assert (info.width, info.height) == (80, 60)


def test_broken_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    with pytest.raises(avio.VideoError) as exc:
        pipeline.interpolate_video(bad, tmp_path / "o.mp4", factor=2, engine=blend_engine())
    assert "\n" not in str(exc.value) and "bad.mp4" in str(exc.value)
    assert not (tmp_path / "o.mp4").exists()


def test_limits_refuse_long_and_large(make_video, tmp_path, settings):
    src = make_video(frames=12, fps=12, audio=False)
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MAX_VIDEO_SECONDS": 0.5}
    with pytest.raises(VideoLimit, match="MAX_VIDEO_SECONDS"):
        pipeline.interpolate_video(src, tmp_path / "o.mp4", factor=2, engine=blend_engine())
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MAX_VIDEO_SECONDS": 60,
                            "MAX_VIDEO_PIXELS": 1000}
    with pytest.raises(VideoLimit, match="MAX_VIDEO_PIXELS"):
        pipeline.interpolate_video(src, tmp_path / "o.mp4", factor=2, engine=blend_engine())
    assert not (tmp_path / "o.mp4").exists()
