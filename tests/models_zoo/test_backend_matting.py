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
