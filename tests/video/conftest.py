"""Fixtures of the video tests: tiny videos built with PyAV, a library video with media
permissions, and a RIFE 4.6 IFNet with random weights in the released file layout (the helpers
that build them are in ``helpers.py``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.conftest import gan_models_override
from tests.video.helpers import add_media, grant_media, ifnet_state_dict, write_video
from wagtail_gan.models_zoo import runtime


@pytest.fixture
def make_video(tmp_path):
    def _make(name="in.mp4", **kwargs):
        return write_video(tmp_path / name, **kwargs)

    return _make


@pytest.fixture(scope="session")
def rife_weights(tmp_path_factory):
    torch = pytest.importorskip("torch")
    path = tmp_path_factory.mktemp("rife") / "flownet.pkl"
    torch.save(ifnet_state_dict(), path)
    return path


@pytest.fixture
def rife_model(settings, rife_weights):
    """The registry's ``interpolate`` model runs the random-weight IFNet."""
    gan_models_override(settings, {"rife_v4_6": {"path": str(rife_weights)}})
    runtime.cache.clear()
    yield rife_weights
    runtime.cache.clear()


@pytest.fixture
def no_rife(settings, tmp_path):
    """The interpolation model is not installed (an empty models dir)."""
    current = dict(settings.WAGTAIL_GAN)
    settings.WAGTAIL_GAN = {**current, "MODELS_DIR": str(tmp_path / "no-models")}


@pytest.fixture
def video_world(gan_world, make_video):
    """``gan_world`` plus media permissions for the editors (Team) and a short library video."""
    pytest.importorskip("wagtailmedia")
    editors = Group.objects.get(name="GAN editors")
    grant_media(editors, gan_world.team, "add_media", "change_media")
    src = make_video(frames=6, fps=12)
    gan_world.video = add_media(src, collection=gan_world.team, duration=0.5, width=64,
                                height=48)
    gan_world.video_bytes = src.read_bytes()
    return gan_world
