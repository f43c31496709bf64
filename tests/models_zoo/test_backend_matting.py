"""backends/matting.py (family ``rembg``): a tiny ONNX graph with ISNet's input/output layout
(input (1,3,1024,1024) float, main mask first of several (1,1,1024,1024) outputs) run through
rembg's real session pre/post-processing; our file, never rembg's download."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.ml

# rembg imports pymatting, whose numba functions compile eagerly at import (~100 s on a fresh
# install, cached afterwards); background removal never calls them (no alpha matting).
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")


def build_tiny_isnet(path):
    """Foreground = bright: mask = sigmoid(8 * mean over channels); a second side output like
    ISNet's (rembg reads output 0)."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input_image", TensorProto.FLOAT, [1, 3, 1024, 1024])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 1, 1024, 1024])
            for n in ("output_main", "output_side1")]
    k = helper.make_tensor("k", TensorProto.FLOAT, [], [8.0])
    nodes = [
        helper.make_node("ReduceMean", ["input_image"], ["mean"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["mean", "k"], ["scaled"]),
        helper.make_node("Sigmoid", ["scaled"], ["output_main"]),
        helper.make_node("Neg", ["output_main"], ["output_side1"]),
    ]
    graph = helper.make_graph(nodes, "tiny_isnet", [x], outs, [k])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def tiny_isnet(tmp_path_factory):
    return build_tiny_isnet(tmp_path_factory.mktemp("isnet") / "isnet-general-use.onnx")


@pytest.fixture
def isnet_model(settings, tiny_isnet, tmp_path):
    from tests.conftest import gan_models_override
    from wagtail_gan.models_zoo import runtime

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models")}
    gan_models_override(settings, {"isnet_general_use": {"path": str(tiny_isnet)}})
    runtime.cache.clear()
    yield tiny_isnet
    runtime.cache.clear()


def subject(w=64, h=48):
    """A bright square (the subject) on a dark background."""
    arr = np.full((h, w, 3), 20, np.uint8)
    arr[12:36, 20:44] = (230, 220, 210)
    return Image.fromarray(arr, "RGB")


def test_removebg_keeps_colours_and_predicts_alpha(isnet_model, monkeypatch):
    import pooch

    from wagtail_gan.models_zoo import engine

    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("rembg downloaded"))
    img = subject()
    result = engine.run("removebg", img)
    out = result.image
    assert out.mode == "RGBA" and out.size == img.size
    assert result.model_id == "isnet_general_use"
    assert result.params["session"] == "isnet-general-use"
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[24, 32] > 200 and alpha[2, 2] < 30
    assert np.array_equal(np.asarray(out.convert("RGB")), np.asarray(img))


def test_removebg_on_a_colour_is_opaque(isnet_model):
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    spec = parse_spec("removebg-00f")
    out = engine.run(spec.model_key, subject(), params=spec.params).image
    assert out.mode == "RGB"
    r, g, b = out.getpixel((2, 2))
    assert b > 200 and r < 40 and g < 40
    assert out.getpixel((32, 24))[0] > 200  # the subject stays


def test_session_loads_our_file_only(isnet_model):
    from wagtail_gan.models_zoo.backends.matting import session_class

    cls = session_class("isnet-general-use")
    assert cls.download_models(wagtail_gan_path="/x/y.onnx") == "/x/y.onnx"
    with pytest.raises(Exception, match="no session"):
        session_class("no-such-model")


def test_not_installed_names_the_install_command(settings, tmp_path):
    from wagtail_gan.models_zoo import engine

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "none")}
    with pytest.raises(engine.ModelNotInstalled) as info:
        engine.run("removebg", subject())
    message = str(info.value)
    assert "\n" not in message
    assert "manage.py gan_models install isnet_general_use" in message


def test_transparent_input_keeps_its_transparency(isnet_model):
    """The predicted alpha is multiplied with the input's: transparent stays transparent."""
    from wagtail_gan.models_zoo import engine

    rgba = subject().convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, 32, 48))  # the left half (half the subject) is transparent
    rgba.putalpha(alpha)
    out = engine.run("removebg", rgba).image
    result = np.asarray(out.getchannel("A"))
    assert out.mode == "RGBA"
    assert result[24, 38] > 200  # visible subject
    assert result[24, 26] == 0  # subject, but transparent in the input
    assert result[2, 50] < 30  # background


def test_isnet_input_is_rgb_over_255_and_mask_has_no_halo():
    """ISNet's input is RGB/255 - 0.5 (rembg divides by the image's maximum, which brightens
    dark photos); the mask is min-max scaled and resized bilinearly: no ringing outside."""
    from wagtail_gan.models_zoo.backends.matting import mask_image, model_input

    dark = Image.new("RGB", (8, 8), (100, 50, 0))
    x = model_input(dark, (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), (8, 8), 255.0)
    assert x.shape == (1, 3, 8, 8) and x.dtype == np.float32
    assert np.allclose(x[0, :, 0, 0], [100 / 255 - 0.5, 50 / 255 - 0.5, -0.5], atol=1e-6)
    pred = np.full((64, 64), 0.2, np.float32)
    pred[16:48, 16:48] = 0.9  # a hard-edged square
    mask = np.asarray(mask_image(pred, (256, 256)))
    assert mask.max() == 255 and mask[128, 128] == 255
    assert mask[:60, :].max() == 0 and mask[:, 196:].max() == 0  # nothing beyond the edge
