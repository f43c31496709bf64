"""vintage: vintagify's CycleGAN generator (the real weights from the vintagify package, test
extra) converted offline and run through the same backend as winterize; plus its layout
(affine InstanceNorm, blocks named ``block``) with random weights."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytestmark = pytest.mark.ml


def vintagify_file(name: str):
    spec = importlib.util.find_spec("vintagify")  # never imported: it pulls matplotlib
    if spec is None:
        pytest.skip("vintagify is not installed")
    from pathlib import Path

    return Path(next(iter(spec.submodule_search_locations))) / name


def vintagify_layout(seed: int = 0, ngf: int = 8, n_blocks: int = 2) -> dict:
    """A state dict in vintagify's own key layout (affine norms, ``model.N.block.K``)."""
    import torch

    from wagtail_gan.models_zoo.backends.cyclegan import build_generator

    torch.manual_seed(seed)
    sd = build_generator(ngf, n_blocks, affine=True).state_dict()
    return {k.replace(".conv_block.", ".block."): torch.randn_like(v) * 0.1 if v.ndim else v
            for k, v in sd.items()}


def test_vintagify_layout_loads_into_the_backend_generator():
    import torch

    from wagtail_gan.models_zoo.backends import cyclegan

    sd = vintagify_layout()
    assert "model.2.weight" in sd and any(".block." in k for k in sd)
    net = cyclegan.model_from_state_dict(sd)
    assert cyclegan.infer_config(cyclegan.clean_state_dict(sd)) == (8, 2)
    norms = [m for m in net.modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert norms and all(m.affine for m in norms)
    code = vintagify_file("generator.py")
    from wagtail_gan.models_zoo.install.cyclegan import reference_generator

    ref = reference_generator(code)  # the package's class: ngf 64, 9 blocks
    full = {k.replace(".conv_block.", ".block."): v
            for k, v in cyclegan.build_generator(64, 9, affine=True).state_dict().items()}
    ref.load_state_dict(full)
    ours = cyclegan.model_from_state_dict(full)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.inference_mode():
        assert torch.equal(ours(x), ref.eval()(x))


@pytest.fixture(scope="module")
def vintage_dir(tmp_path_factory):
    from django.test import override_settings

    from wagtail_gan.models_zoo import install, registry

    vintagify_file("resources/G_A2B_epoch33.pth")
    folder = tmp_path_factory.mktemp("vintage-models")
    with override_settings(WAGTAIL_GAN={"MODELS_DIR": str(folder), "TORCH_THREADS": 1}):
        install.install(registry.get("cyclegan_vintagify"), offline=True)
    return folder


@pytest.fixture
def vintage(settings, vintage_dir):
    from wagtail_gan.models_zoo import runtime

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(vintage_dir),
                            "TORCH_THREADS": 1, "DEVICE": "cpu"}
    runtime.cache.clear()
    yield vintage_dir
    runtime.cache.clear()


def test_installed_from_the_package_and_checked(vintage):
    from wagtail_gan.models_zoo import install, registry

    entry = registry.get("cyclegan_vintagify")
    manifest = registry.read_manifest(entry.id)
    assert manifest["kind"] == "torch" and manifest["verified_max_abs_diff"] <= 1e-4
    assert manifest["file"] == "G_A2B_epoch33.safetensors"
    assert manifest["licence"].startswith("MIT") and manifest["package_licence"].startswith("MIT")
    assert manifest["package_file_sha256"] != manifest["sha256"]  # converted, not copied
    assert install.verify(entry) == (True, "matches the install record")
    assert (vintage / entry.id / "G_A2B_epoch33.safetensors.onnx").is_file()


def test_vintage_runs_the_real_generator_and_blends(vintage):
    from tests.models_zoo.fixtures import photo
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.operations import parse_spec

    img = photo(64, 48)
    spec = parse_spec("vintage")
    full = engine.run(spec.model_key, img, params=spec.params)
    assert full.model_id == "cyclegan_vintagify" and full.image.size == img.size
    # on a CPU: the ONNX export made and checked at install (sr_runtime's cache) runs it
    assert full.params["runtime"] == "onnxruntime" and full.params["onnx"] == "cached"
    assert full.params["onnx_max_abs_diff_vs_torch"] <= 1e-3
    a, c = (np.asarray(x, np.int16) for x in (img, full.image))
    assert np.abs(a - c).mean() > 2  # a visible change
    half = engine.run("vintage", img, params=parse_spec("vintage-50").params).image
    b = np.asarray(half, np.int16)
    assert np.abs(b - (a + c) / 2).max() <= 1


def test_a_state_dict_that_is_not_the_generator_installs_nothing(settings, tmp_path,
                                                                 monkeypatch):
    import torch

    from wagtail_gan.models_zoo import install, registry

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models")}
    bad = tmp_path / "G.pth"
    torch.save(vintagify_layout(ngf=8), bad)  # loads into ours, not into the package's class
    code = vintagify_file("generator.py")
    monkeypatch.setattr(registry, "package_file",
                        lambda source, name: bad if name.endswith(".pth") else code)
    entry = registry.get("cyclegan_vintagify")
    with pytest.raises(install.SourceError, match="does not take its own weights"):
        install.install(entry, offline=True)
    assert registry.weights_path(entry) is None
    assert not any(registry.model_dir(entry.id).glob("*"))
