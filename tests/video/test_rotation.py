"""Rotation metadata (phone videos): a source stored sideways with a display matrix in its
track header comes out upright - the output's pixels, its size, its thumbnail - and carries
no rotation of its own; a turn that is not a quarter turn is refused before any work."""

from __future__ import annotations

import struct
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image
from wagtailmedia.models import get_media_model

from tests.video.helpers import add_media
from wagtail_gan.video import avio, pipeline
from wagtail_gan.video.engines import blend_engine
from wagtail_gan.video.orientation import Orientation, UnsupportedTurn
from wagtail_gan.video.submit import submit_interpolate_job
from wagtail_gan.video.worker import run_video_job

av = pytest.importorskip("av")
pytestmark = pytest.mark.ml

W, H = 64, 48  # the upright picture: landscape, so a quarter turn shows in the size


def upright(i: int) -> np.ndarray:
    """Dark with a red block top-left and a green block bottom-right, moving right by i."""
    arr = np.full((H, W, 3), 30, np.uint8)
    arr[2:18, 2 + i:22 + i] = (230, 30, 30)
    arr[H - 14:H - 2, W - 20:W - 4] = (30, 220, 30)
    return arr


def phone_video(path, clockwise: int, *, mirror=False, frames=4, fps=12, matrix=None):
    """What a phone writes: the sensor's picture (the upright one turned the other way) plus
    a display matrix saying "turn it ``clockwise`` degrees" (PyAV takes counter-clockwise
    degrees, FFmpeg's convention on read)."""
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=fps)
    stored = [np.rot90(upright(i), k=clockwise // 90) for i in range(frames)]
    if mirror:
        stored = [s[:, ::-1] for s in stored]
    stream.height, stream.width = stored[0].shape[:2]
    stream.pix_fmt = "yuv420p"
    if matrix is not None:
        stream.set_display_matrix(matrix)
    else:
        stream.set_display_rotation(-clockwise, hflip=mirror)
    for i, arr in enumerate(stored):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, fps)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    return path


def tkhd_matrix(path) -> tuple[int, ...]:
    data = open(path, "rb").read()
    at = data.index(b"tkhd") + 4 + 40  # version/flags, times, id, duration, layer... matrix
    return struct.unpack(">9i", data[at:at + 36])


def close_to(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() < 6


def test_the_test_file_is_what_phones_write(tmp_path):
    """A portrait phone video: iPhone/Android put (0, 1, -1, 0) in 16.16 in the track header
    ("rotate 90"); FFmpeg reads it back as -90 (its angles are counter-clockwise)."""
    path = phone_video(tmp_path / "portrait.mp4", 90)
    assert tkhd_matrix(path)[:5] == (0, 65536, 0, -65536, 0)
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        assert frame.rotation == -90 and (frame.width, frame.height) == (H, W)


@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_rotated_source_comes_out_upright(tmp_path, clockwise):
    src = phone_video(tmp_path / f"rot{clockwise}.mp4", clockwise)
    info = avio.probe(src)
    assert (info.width, info.height, info.rotation) == (W, H, clockwise)
    assert close_to(next(avio.iter_frames(src)), upright(0))
    out = tmp_path / "out.mp4"
    result = pipeline.interpolate_video(src, out, factor=2, engine=blend_engine())
    assert (result["width"], result["height"]) == (W, H)
    assert result["source"]["rotation"] == clockwise
    with av.open(str(out)) as c:
        frames = list(c.decode(video=0))
    assert all(f.rotation == 0 and (f.width, f.height) == (W, H) for f in frames)
    assert close_to(frames[0].to_ndarray(format="rgb24"), upright(0))
    assert close_to(frames[2].to_ndarray(format="rgb24"), upright(1))
    thumb = pipeline.thumbnail(out)
    assert thumb.size == (W, H)
    assert close_to(np.asarray(pipeline.thumbnail(src)), np.asarray(thumb))


def test_mirrored_and_phone_translation(tmp_path):
    mirrored = phone_video(tmp_path / "selfie.mp4", 0, mirror=True)
    assert close_to(next(avio.iter_frames(mirrored)), upright(0))
    # The track header as an iPhone writes it: the turn plus a translation by the height.
    iphone = (0, 65536, 0, -65536, 0, 0, W << 16, 0, 1 << 30)
    src = phone_video(tmp_path / "iphone.mp4", 90, matrix=iphone)
    assert tkhd_matrix(src) == iphone
    assert avio.probe(src).rotation == 90
    assert close_to(next(avio.iter_frames(src)), upright(0))


def test_orientation_from_matrix():
    turn = Orientation.from_matrix((0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30))
    assert (turn.transpose, turn.rotation) == (True, 90)
    stored = np.arange(6).reshape(2, 3, 1)
    assert np.array_equal(turn.apply(stored), np.rot90(stored, k=-1))  # clockwise
    assert Orientation.from_matrix((65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)).rotation == 0
    with pytest.raises(UnsupportedTurn, match="45°"):
        Orientation.from_matrix((46341, 46341, 0, -46341, 46341, 0, 0, 0, 1 << 30))


def test_a_turn_that_is_not_a_quarter_is_refused_before_work(tmp_path):
    src = tmp_path / "tilted.mp4"
    container = av.open(str(src), "w")
    stream = container.add_stream("libx264", rate=12)
    stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
    stream.set_display_rotation(-45)
    for i in range(3):
        frame = av.VideoFrame.from_ndarray(upright(i), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, 12)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    out = tmp_path / "out.mp4"
    with pytest.raises(avio.VideoError, match="tilted.mp4: the picture is turned by 45°"):
        pipeline.interpolate_video(src, out, factor=2, engine=blend_engine())
    assert not out.exists()


def test_job_result_and_library_thumbnail_are_upright(video_world, tmp_path):
    w = video_world
    src = phone_video(tmp_path / "portrait.mp4", 90, frames=6)
    # The library records the stored (sideways) size, as an upload form would.
    media = add_media(src, title="Portrait", collection=w.team, duration=0.5, width=H,
                      height=W)
    job = submit_interpolate_job(user=w.editor, media=media, factor=2, engine="blend")
    run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    result = get_media_model().objects.get(pk=job.result_media_id)
    assert (result.width, result.height) == (W, H)
    with result.thumbnail.open("rb") as fh:
        thumb = Image.open(fh).convert("RGB")
        assert thumb.size == (W, H)
        assert close_to(np.asarray(thumb), upright(2))
