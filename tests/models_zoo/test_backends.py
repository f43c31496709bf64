"""backends/: the family -> backend registry (built-in and WAGTAIL_GAN["BACKENDS"]), and the
exact layouts of the real weights each family loads (random weights, same keys and shapes)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ml


def test_rrdb_full_layout_loads_through_spandrel_and_upscales():
    """The full Real-ESRGAN x4plus key layout (23 blocks, params_ema wrapper) is detected by
    spandrel as a 4x model and gives a [0,1] output of 4x the size."""
    import spandrel
    import torch

    from tests.models_zoo.fixtures import rrdb_state_dict

    sd = {"params_ema": {k: v for k, v in rrdb_state_dict(4, 64, 23).items()}}
    from spandrel.__helpers.canonicalize import canonicalize_state_dict

    desc = spandrel.ModelLoader().load_from_state_dict(canonicalize_state_dict(sd))
    assert desc.scale == 4 and desc.architecture.id == "ESRGAN"
    out = desc(torch.rand(1, 3, 8, 12))
    assert out.shape == (1, 3, 32, 48)
    assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0


def test_cyclegan_released_layout_with_legacy_keys():
    import torch

    from tests.models_zoo.fixtures import cyclegan_state_dict
    from wagtail_gan.models_zoo.backends import cyclegan

    sd = cyclegan_state_dict(64, 9, legacy=True)
    assert "model.2.running_mean" in sd
    assert tuple(sd["model.1.weight"].shape) == (64, 3, 7, 7)
    assert tuple(sd["model.10.conv_block.5.weight"].shape) == (256, 256, 3, 3)
    assert tuple(sd["model.19.weight"].shape) == (256, 128, 3, 3)  # ConvTranspose [in,out,k,k]
    assert tuple(sd["model.26.weight"].shape) == (3, 64, 7, 7)
    net = cyclegan.model_from_state_dict(sd)
    assert cyclegan.infer_config(cyclegan.clean_state_dict(sd)) == (64, 9)
    with torch.inference_mode():
        y = net(torch.rand(1, 3, 32, 36) * 2 - 1)
    assert y.shape == (1, 3, 32, 36)
    assert -1.0 <= float(y.min()) and float(y.max()) <= 1.0


def test_cyclegan_wrong_layout_is_a_clear_error():
    from tests.models_zoo.fixtures import cyclegan_state_dict
    from wagtail_gan.models_zoo.backends import cyclegan
    from wagtail_gan.models_zoo.errors import EngineError

    sd = cyclegan_state_dict(8, 2, legacy=False)
    del sd["model.1.bias"]
    with pytest.raises(EngineError, match="do not match"):
        cyclegan.model_from_state_dict(sd)


# -- family -> backend --------------------------------------------------------------------


def test_every_builtin_family_has_a_backend():
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.backends import BACKENDS, Backend, get_backend

    families = {e.family for e in registry.entries().values()}
    assert families <= set(BACKENDS)
    for family in BACKENDS:
        backend = get_backend(family)
        assert isinstance(backend, Backend)
        assert get_backend(family) is backend  # one instance per process
    assert get_backend("spandrel").keep_greyscale and not get_backend("cyclegan").keep_greyscale
    assert get_backend("onnx_multistyle") is not get_backend("onnx_arbitrary")
    assert get_backend("diffusers_pix2pix") is get_backend("diffusers_txt2img")


def test_backends_are_found_by_the_families_their_classes_declare():
    from django.utils.module_loading import import_string

    from wagtail_gan.models_zoo.backends import BACKENDS, discover_backends

    assert discover_backends() == BACKENDS
    for family, path in BACKENDS.items():
        cls = import_string(path)
        assert family in (cls.families or (cls.family,)), (family, path)


def _echo_class():
    from wagtail_gan.models_zoo.backends import Backend

    class Echo(Backend):
        family = "echo"
        uses_torch = False

        def is_installed(self, entry):
            return True

        def run(self, entry, rgb, *, params, ctx):
            return rgb.transpose(0), {"echoed": True, "prompt_seen": ctx.prompt}

    return Echo


def test_site_backends_setting_adds_and_replaces_families(settings, tmp_path):
    from PIL import Image

    from wagtail_gan.models_zoo.engine import run

    echo = _echo_class()
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path),
                            "BACKENDS": {"echo": echo, "dummy": echo},
                            "MODELS": {"mirror": {"task": "stylize", "family": "echo"},
                                       "fake": {"task": "stylize", "family": "dummy"}}}
    img = Image.new("RGB", (3, 2))
    img.putpixel((0, 0), (255, 0, 0))
    for model_id in ("mirror", "fake"):
        result = run(model_id, img)
        assert result.params == {"echoed": True, "prompt_seen": None}
        assert result.image.getpixel((2, 0)) == (255, 0, 0)


def test_backend_setting_errors_are_clear(settings, tmp_path):
    from wagtail_gan.models_zoo.backends import get_backend
    from wagtail_gan.models_zoo.errors import EngineError

    settings.WAGTAIL_GAN = {"BACKENDS": {"gone": "no.such.module.Backend",
                                         "notone": "collections.OrderedDict"}}
    with pytest.raises(EngineError, match="'no.such.module.Backend' for model family 'gone' "
                                          "cannot be imported"):
        get_backend("gone")
    with pytest.raises(EngineError, match="is not a .*Backend subclass"):
        get_backend("notone")
    with pytest.raises(EngineError, match="No backend for model family 'nope'. Known families: "
                                          ".*cyclegan.*gone"):
        get_backend("nope")
