"""``manage.py gan_video``: both actions on the blend engine, progress, one-line errors."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.video.helpers import decoded, frame_at
from wagtail_gan.models import VideoJob


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("gan_video", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_interpolate_blend(make_video, tmp_path):
    src = make_video(frames=4, fps=10)
    out, err = run("interpolate", "--factor", "4", "--engine", "blend", str(src),
                   str(tmp_path / "o.mp4"))
    times, vdur, adur = decoded(tmp_path / "o.mp4")
    assert len(times) == 16 and vdur == pytest.approx(0.4, abs=1e-3)
    assert "16 frames at 40 fps" in out and "frames 16/16" in err


def test_stills_requested_length(tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"s{i}.png"
        Image.fromarray(frame_at(i * 6, 48, 32)).save(p)
        paths.append(str(p))
    out, _ = run("stills", *paths, str(tmp_path / "clip.mp4"), "--seconds", "2", "--fps", "8",
                 "--hold", "0.25", "--engine", "blend", "--quiet")
    times, vdur, _ = decoded(tmp_path / "clip.mp4")
    assert len(times) == 16 and vdur == pytest.approx(2.0, abs=1e-3)


def test_model_engine_missing_weights_is_one_line(make_video, tmp_path, no_rife):
    src = make_video(frames=2)
    with pytest.raises(CommandError) as exc:
        run("interpolate", str(src), str(tmp_path / "o.mp4"))
    assert "gan_models install rife_v4_6" in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "o.mp4").exists()


def test_broken_input_is_one_line(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError) as exc:
        run("interpolate", "--engine", "blend", str(bad), str(tmp_path / "o.mp4"))
    assert "bad.mp4" in str(exc.value) and "\n" not in str(exc.value)
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.django_db
def test_to_library_records_provenance(tmp_path, video_world):
    paths = []
    for i in range(2):
        p = tmp_path / f"s{i}.png"
        Image.fromarray(frame_at(i * 6, 48, 32)).save(p)
        paths.append(str(p))
    args = ("stills", *paths, str(tmp_path / "clip.mp4"), "--seconds", "1", "--fps", "6",
            "--hold", "0.25", "--engine", "auto", "--to-library", "--title", "Demo clip", "--once", "--quiet")
    out, _ = run(*args)
    assert "added “Demo clip”" in out
    job = VideoJob.objects.get()
    assert job.source == "command" and job.result_media_id and job.model_id
    out, _ = run(*args)
    assert "skipped" in out and VideoJob.objects.count() == 1
