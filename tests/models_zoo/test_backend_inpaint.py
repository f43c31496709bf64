"""backends/inpaint.py (family ``lama``): Big LaMa's exact layout (spandrel's LaMa, random
weights, saved as a state dict) through the engine: erase with spec rectangles and with a
params mask (strokes + PNG), expand by ratio and by pixels; unmasked / original pixels are
unchanged; the geometry agrees with the operation's."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.ml


@pytest.fixture(scope="session")
def tiny_lama(tmp_path_factory):
    """Big LaMa's exact layout (FFC ResNet, 18 blocks: ~51M parameters, ~200 MB on disk;
    spandrel's LaMa has no smaller configuration), random weights, built once."""
    import torch
    from spandrel.architectures.LaMa import LaMa

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("lama") / "big-lama.pth"
    torch.save(LaMa(in_nc=4, out_nc=3).state_dict(), str(path))
    return path


@pytest.fixture
def lama_model(settings, tiny_lama):
    from tests.conftest import gan_models_override
    from wagtail_gan.models_zoo import runtime

    gan_models_override(settings, {"big_lama": {"path": str(tiny_lama)}})
    yield tiny_lama
    runtime.cache.clear()


def picture(w=64, h=48):
    from tests.models_zoo.fixtures import photo

    return photo(w, h)


def unchanged_outside(out, img, mask: np.ndarray) -> bool:
    a, b = np.asarray(out.convert("RGB")), np.asarray(img)
    return np.array_equal(a[~mask], b[~mask])


def test_erase_spec_rects_changes_only_the_rects(lama_model):
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    img = picture()
    spec = parse_spec("erase-10.8.20.16-40.30.8.8")
    result = engine.run(spec.model_key, img, params=spec.params)
    assert result.model_id == "big_lama" and result.image.size == img.size
    mask = np.zeros((48, 64), bool)
    mask[8:24, 10:30] = True
    mask[30:38, 40:48] = True
    assert unchanged_outside(result.image, img, mask)
    assert not np.array_equal(np.asarray(result.image)[mask], np.asarray(img)[mask])
    used = result.params["mask_used"]
    assert used["from"] == ["spec rects"] and len(used["sha256"]) == 64
    assert used["area"] == pytest.approx(mask.mean(), abs=1e-6)


def test_erase_params_mask_strokes_png_and_canvas_size(lama_model):
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations.erase import clean_mask

    img = picture(96, 80)
    png = Image.new("L", (48, 40), 0)  # drawn on a half-size canvas
    png.paste(255, (2, 2, 6, 6))
    buf = io.BytesIO()
    png.save(buf, "PNG")
    mask = clean_mask({
        "strokes": [{"points": [[20, 20], [30, 20]], "radius": 2}],
        "png": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
        "size": [48, 40],
    })
    result = engine.run("erase", img, params={"mask": mask, "max_side": 64})
    out = np.asarray(result.image)
    assert result.params["mask_used"]["from"] == ["strokes", "png"]
    assert result.params["mask"]["png"].startswith("sha256:")  # not the whole PNG again
    # the PNG square (4..12 px at full size) and the stroke (y 36..44) changed; the rest not
    keep = np.ones((80, 96), bool)
    keep[0:16, 0:16] = False
    keep[30:50, 30:70] = False
    assert np.array_equal(out[keep], np.asarray(img)[keep])
    assert not np.array_equal(out[4:12, 4:12], np.asarray(img)[4:12, 4:12])


def test_erase_without_a_mask_is_a_clear_error(lama_model):
    from wagtail_gan.models_zoo import engine

    with pytest.raises(engine.EngineError, match="erase needs a mask"):
        engine.run("erase", picture())
    with pytest.raises(engine.EngineError, match="covers no pixels"):
        engine.run("erase", picture(), params={"rects": [[500, 500, 10, 10]]})


@pytest.mark.parametrize("spec_text", ["expand-16x9", "expand-left8-bottom5"])
def test_expand_fills_the_border_and_keeps_the_image(lama_model, spec_text):
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    img = picture(48, 40)
    spec = parse_spec(spec_text)
    result = engine.run(spec.model_key, img, params=spec.params)
    assert result.image.size == spec.op.output_size(spec.params, img.size)
    left, top, right, bottom = result.params["padding"]
    inner = np.asarray(result.image)[top:top + 40, left:left + 48]
    assert np.array_equal(inner, np.asarray(img))


def test_expand_geometry_agrees_with_the_operation():
    from wagtail_gan.models_zoo.backends.inpaint import padding as worker_padding
    from wagtail_gan.operations.expand import padding as web_padding

    for params in ({"ratio": [16, 9]}, {"ratio": [9, 16]}, {"ratio": [1, 1]},
                   {"ratio": [21, 9]}, {"left": 3, "bottom": 7}):
        for size in ((1, 1), (64, 48), (48, 64), (1920, 1080), (333, 777)):
            assert worker_padding(params, size) == web_padding(params, size), (params, size)


def test_lama_exact_layout_is_detected_as_inpainting(tiny_lama):
    import spandrel

    desc = spandrel.ModelLoader().load_from_file(str(tiny_lama))
    assert isinstance(desc, spandrel.MaskedImageModelDescriptor)
    assert desc.architecture.id == "LaMa" and desc.input_channels == 3
