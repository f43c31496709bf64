"""backends/restore.py (family ``spandrel_restore``): SCUNet's key layout (spandrel, random
weights, 2 blocks per stage instead of 4) through the engine; strength blends."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.ml


@pytest.fixture(scope="module")
def tiny_scunet(tmp_path_factory):
    import torch
    from spandrel.architectures.SCUNet import SCUNet

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("scunet") / "scunet_color_real_psnr.pth"
    torch.save(SCUNet(in_nc=3, config=[2] * 7, dim=64).state_dict(), str(path))
    return path


@pytest.fixture
def scunet_model(settings, tiny_scunet):
    from tests.conftest import gan_models_override
    from wagtail_gan.models_zoo import runtime

    gan_models_override(settings, {"scunet_color_real_psnr": {"path": str(tiny_scunet)}})
    yield tiny_scunet
    runtime.cache.clear()


def test_restore_runs_scunet_layout_and_blends(scunet_model):
    from tests.models_zoo.fixtures import photo
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    img = photo(48, 40)
    full = engine.run("restore", img, params=parse_spec("restore").params)
    assert full.model_id == "scunet_color_real_psnr" and full.image.size == img.size
    assert full.params["architecture"] == "SCUNet" and full.params["strength"] == 100
    half = engine.run("restore", img, params=parse_spec("restore-50").params).image
    a, b, c = (np.asarray(x, dtype=np.int16) for x in (img, half, full.image))
    assert not np.array_equal(a, c)
    assert np.abs(b - (a + c) / 2).max() <= 1  # 50 % blend


def test_restore_refuses_a_super_resolution_file(settings, tmp_path):
    from tests.conftest import gan_models_override
    from tests.models_zoo.fixtures import build_sr_model, photo
    from wagtail_gan.models_zoo import engine, runtime

    sr = build_sr_model(tmp_path / "x4.safetensors")
    gan_models_override(settings, {"scunet_color_real_psnr": {"path": str(sr)}})
    runtime.cache.clear()
    with pytest.raises(engine.EngineError, match="not a 1x RGB restoration model"):
        engine.run("restore", photo())
    runtime.cache.clear()
