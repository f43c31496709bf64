"""The RIFE 4.6 backend on random weights in the released layout: loading, padding of odd
sizes, timestep handling, and the ML engine inside the real pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.video.helpers import decoded, frame_at
from wagtail_gan.models_zoo import engine
from wagtail_gan.models_zoo.backends.rife import build_ifnet, clean_state_dict, pad_multiple
from wagtail_gan.models_zoo.errors import EngineError, ModelNotInstalled
from wagtail_gan.video import pipeline
from wagtail_gan.video.engines import model_engine

pytestmark = pytest.mark.ml
torch = pytest.importorskip("torch")


def test_ifnet_layout_matches_release_keys(rife_weights):
    sd = torch.load(rife_weights, weights_only=True)
    assert all(k.startswith("module.") for k in sd)
    model = build_ifnet()
    model.load_state_dict(clean_state_dict(sd), strict=True)
    keys = set(model.state_dict())
    # the released names (Practical-RIFE train_log/IFNet_HDv3.py, v4.6)
    for key in ("block0.conv0.0.0.weight", "block0.convblock.7.beta",
                "block3.lastconv.0.weight", "block1.conv0.0.0.weight"):
        assert key in keys
    assert model.block0.conv0[0][0].in_channels == 7
    assert model.block1.conv0[0][0].in_channels == 12
    assert model.block0.lastconv[0].out_channels == 24
    assert sum(p.numel() for p in model.parameters()) > 4_000_000


def test_padding_crops_back_odd_sizes(rife_model):
    engine = model_engine()
    assert engine.model_id == "rife_v4_6" and len(engine.model_sha256) == 64
    a, b = frame_at(0, 70, 45), frame_at(3, 70, 45)  # padded to 128x128 inside
    mids = engine.interpolator.between(a, b, [0.25, 0.5])
    assert [m.shape for m in mids] == [(45, 70, 3)] * 2
    assert all(m.dtype == np.uint8 for m in mids)
    assert not np.array_equal(mids[0], mids[1])  # the timestep reaches the network


def test_pad_multiple_follows_upstream():
    assert pad_multiple(1.0) == 128 and pad_multiple(0.5) == 256


def test_model_engine_in_pipeline(rife_model, make_video, tmp_path):
    src = make_video(frames=3, fps=8, width=66, height=50)
    out = tmp_path / "rife.mp4"
    result = pipeline.interpolate_video(src, out, factor=2, engine=model_engine())
    times, vdur, adur = decoded(out)
    assert len(times) == 6 and result["width"] == 66
    assert vdur == pytest.approx(3 / 8, abs=1e-3) and adur == pytest.approx(3 / 8, abs=0.05)


def test_missing_weights_one_line_with_install_command(no_rife):
    with pytest.raises(ModelNotInstalled) as exc:
        model_engine()
    message = str(exc.value)
    assert "\n" not in message
    assert "gan_models install rife_v4_6" in message and "--engine blend" in message


def test_image_operation_refused(rife_model):
    with pytest.raises(EngineError, match="interpolates between two frames"):
        engine.run("interpolate", Image.new("RGB", (8, 8)))
