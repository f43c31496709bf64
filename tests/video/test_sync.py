"""Audio stays in sync: a flash in the picture and a click in the sound at the same moments
are found together (within one output frame) after 2x/4x frame rate and 2x/4x slow motion,
for constant and variable frame rates and audio that starts after the picture. In slow motion
the sound is slowed down with the picture, its pitch dropping by the factor (documented in
README "Video")."""

from __future__ import annotations

import pytest

from tests.video.avsync import constant_times, dominant_hz, measure, write_flash_click
from wagtail_gan.video import avio, pipeline
from wagtail_gan.video.engines import blend_engine

pytest.importorskip("av")
pytestmark = pytest.mark.ml

VFR_MS = (0, 33, 133, 166, 233, 266, 366, 400, 466, 500, 600, 633, 700, 733, 833, 866, 933,
          966, 1066, 1100)
SOURCES = {
    "24fps": {"times_ms": constant_times(48, 24), "flashes": (12, 36)},
    "vfr": {"times_ms": VFR_MS, "flashes": (5, 14)},
    "late-audio": {"times_ms": constant_times(48, 24), "flashes": (12, 36),
                   "audio_delay": 0.25},
}
RUNS = [(2, "fps"), (4, "fps"), (2, "slowmo"), (4, "slowmo")]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("factor,mode", RUNS)
def test_flash_and_click_stay_together(tmp_path, source, factor, mode):
    src = tmp_path / f"{source}.mp4"
    clicks = write_flash_click(src, **SOURCES[source])
    before = measure(src, clicks)
    out = tmp_path / "out.mp4"
    result = pipeline.interpolate_video(src, out, factor=factor, mode=mode,
                                        engine=blend_engine())
    stretch = factor if mode == "slowmo" else 1
    frame = 1 / result["fps"]
    after = measure(out, [t * stretch for t in clicks])
    for b, a, t in zip(before, after, clicks, strict=True):
        assert abs(a.click - t * stretch) < 0.002 * stretch  # the click where it belongs
        assert abs(a.drift) < frame, (a, frame)
        # Constant rate: every source frame is an output frame, so the drift is the source's.
        if source != "vfr":
            assert abs(a.drift - b.drift * stretch) < 0.002 * stretch


@pytest.mark.parametrize("factor", [2, 4])
def test_slow_motion_audio_is_slowed_with_its_pitch(tmp_path, factor):
    """The documented behaviour: slowed down by resampling, so the pitch drops by the
    factor (a 880 Hz tone becomes 440 or 220 Hz) and the sound lasts as long as the picture."""
    src = tmp_path / "tone.mp4"
    write_flash_click(src, times_ms=constant_times(24, 24), flashes=(), tone=880.0)
    assert dominant_hz(src) == pytest.approx(880, abs=5)
    out = tmp_path / "slow.mp4"
    result = pipeline.interpolate_video(src, out, factor=factor, mode="slowmo",
                                        engine=blend_engine())
    assert result["tempo"] == 1 / factor
    assert dominant_hz(out, (0.2, 1.8)) == pytest.approx(880 / factor, abs=5)
    assert result["duration"] == pytest.approx(1.0 * factor, abs=1e-3)
    assert result["audio_seconds"] == pytest.approx(1.0 * factor, abs=0.03)


def test_frame_rate_mode_keeps_pitch_and_length(tmp_path):
    src = tmp_path / "tone.mp4"
    write_flash_click(src, times_ms=constant_times(24, 24), flashes=(), tone=880.0)
    out = tmp_path / "smooth.mp4"
    result = pipeline.interpolate_video(src, out, factor=4, engine=blend_engine())
    assert dominant_hz(out) == pytest.approx(880, abs=5)
    assert result["audio_seconds"] == pytest.approx(1.0, abs=0.03)
    assert avio.probe(out).has_audio
