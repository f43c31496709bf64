"""Helpers of the video tests (holds no tests; the fixtures are in this folder's conftest): tiny
videos built with PyAV, what a file decodes to and the provenance in its tags, library videos
with media permissions, RIFE 4.6 IFNet weights in the released file layout
(``module.``-prefixed, like flownet.pkl), and the plan a nominal frame rate would give."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.core.files import File
from wagtail.models import GroupCollectionPermission
from wagtailmedia.models import get_media_model

from wagtail_gan.models_zoo.backends.rife import build_ifnet
from wagtail_gan.video import timing

av = pytest.importorskip("av")


def frame_at(i: int, w: int, h: int) -> np.ndarray:
    """A moving bar on a gradient: frame ``i`` is recognisable by the bar's position."""
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1),
                    np.full_like(x, 60)], axis=-1).astype(np.uint8)
    x0 = (i * 4) % max(1, w - 8)
    arr[:, x0:x0 + 8] = 255
    return arr


def write_video(path, *, frames=8, fps=12, width=64, height=48, audio=True, tone=440.0):
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    astream = None
    if audio:
        astream = container.add_stream("aac", rate=48000)
        astream.layout = "stereo"
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(frame_at(i, width, height), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, fps)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    if astream is not None:
        total = int(48000 * frames / fps)
        t = np.arange(total) / 48000
        signal = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
        for pos in range(0, total, 1024):
            chunk = signal[pos:pos + 1024]
            af = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp",
                                            layout="stereo")
            af.sample_rate, af.pts, af.time_base = 48000, pos, Fraction(1, 48000)
            container.mux(astream.encode(af))
        container.mux(astream.encode(None))
    container.close()
    return path


def decoded(path):
    """(frame timestamps in seconds, video duration, audio duration or None) of a file."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        times = [float(f.time) for f in c.decode(v)]
        vdur = float(v.duration * v.time_base) if v.duration else None
    with av.open(str(path)) as c:
        adur = None
        if c.streams.audio:
            a = c.streams.audio[0]
            adur = sum(f.samples for f in c.decode(a)) / a.codec_context.sample_rate
    return times, vdur, adur


def ifnet_state_dict(seed: int = 0) -> dict:
    """Random weights for every tensor of RIFE 4.6 IFNet, keyed like the released file."""
    import torch  # noqa: PLC0415 - the worker extra: only the tests that use the weights need it

    torch.manual_seed(seed)
    model = build_ifnet()
    sd = {}
    for key, value in model.state_dict().items():
        if key.endswith("beta"):
            sd[f"module.{key}"] = torch.ones_like(value)
        else:
            sd[f"module.{key}"] = torch.randn_like(value) * 0.02
    return sd


def grant_media(group, collection, *codenames):
    for codename in codenames:
        perm = Permission.objects.get(content_type__app_label="wagtailmedia", codename=codename)
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection,
                                                        permission=perm)


def add_media(path, *, title="Harbour film", collection=None, type="video", **fields):
    Media = get_media_model()
    media = Media(title=title, type=type, collection=collection, **fields)
    with open(path, "rb") as fh:
        media.file.save(path.name, File(fh), save=False)
    media.save()
    return media


def interpolation_plan(n_frames: int, fps: Fraction, factor: int,
                       mode: str = "fps") -> timing.Plan:
    """``timing.retime`` of ``n_frames`` at a constant ``fps`` (frames placed at a nominal
    rate): ``k - 1`` in-betweens after each frame, the last frame held ``k`` times so the
    result lasts exactly as long as the source (``fps`` mode) or ``factor`` x longer
    (``slowmo``)."""
    if n_frames < 1:
        raise ValueError("the video has no frames")
    fps = Fraction(fps)
    line = timing.Timeline(tuple(i / fps for i in range(n_frames)), n_frames / fps, fps)
    return timing.retime(line, factor, mode)


def read_provenance(path) -> dict:
    """The provenance JSON wagtail-gan wrote into a video's ``comment`` tag ({} if none)."""
    with av.open(str(path)) as container:
        comment = container.metadata.get("comment", "")
    try:
        return json.loads(comment or "{}")
    except ValueError:
        return {}
