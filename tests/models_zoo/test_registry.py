"""The registry: built-in and site entries, dropped-in files, id validation, resolve() and
is_available() (what the web tier asks), and that it stays torch-free and specs-free."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from tests.utils import ROOT, subprocess_env
from wagtail_gan.models_zoo import registry

pytestmark = pytest.mark.ml


def test_registry_entries_and_defaults():
    ids = set(registry.entries())
    for model_id in ("realesrgan_x4plus", "realesrgan_x2plus", "realesr_general_x4v3",
                     "cyclegan_summer2winter_yosemite", "cyclegan_winter2summer_yosemite",
                     "cyclegan_style_monet", "cyclegan_style_vangogh", "cyclegan_style_cezanne",
                     "cyclegan_style_ukiyoe", "styletransfer_multistyle26",
                     "styletransfer_arbitrary", "instruct_pix2pix", "sd_turbo"):
        assert model_id in ids
        entry = registry.get(model_id)
        assert entry.licence and entry.citation and entry.sources
    assert registry.default_for("upscale-4x").id == "spanx4_ch48"
    assert registry.default_for("upscale-2x").id == "spanx2_ch48"
    assert registry.default_for("winterize").id == "cyclegan_summer2winter_yosemite"
    assert registry.get("realesrgan_x4plus").installable_offline
    assert not registry.get("realesrgan_x2plus").installable_offline
    assert registry.is_installed(registry.get("styletransfer_multistyle26"))  # package files


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "..", ".hidden", "x" * 200, "", "a-b"])
def test_model_ids_are_validated(bad):
    with pytest.raises(registry.InvalidModelId):
        registry.get(bad)


def test_dropped_in_file_is_usable_by_stem(settings, tmp_path, tiny_sr_model):
    from wagtail_gan.operations import parse_spec

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1}
    (tmp_path / "my_sharp_x4.safetensors").write_bytes(tiny_sr_model.read_bytes())
    (tmp_path / "bad-name.pth").write_bytes(b"ignored: not a valid id")
    assert "my_sharp_x4" in registry.upscale_model_ids()
    assert parse_spec("upscale-my_sharp_x4").params == {"model": "my_sharp_x4"}

    from tests.models_zoo.fixtures import photo
    from wagtail_gan.models_zoo.engine import run

    result = run("my_sharp_x4", photo(10, 8))
    assert result.image.size == (40, 32) and result.model_id == "my_sharp_x4"
    assert run("upscale-my_sharp_x4", photo(10, 8)).model_id == "my_sharp_x4"
    assert result.model_sha256 == hashlib.sha256(tiny_sr_model.read_bytes()).hexdigest()


def test_dropped_in_non_sr_file_is_a_clear_error(settings, tmp_path):
    from tests.models_zoo.fixtures import photo
    from wagtail_gan.models_zoo.engine import EngineError, run

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu"}
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(EngineError, match="junk.pth"):
        run("junk", photo(8, 8))


def test_site_entry_adds_a_model(settings, tmp_path, tiny_sr_model):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "studio_x4": {"task": "upscale", "scale": 4, "path": str(tiny_sr_model),
                      "licence": "ours", "default_for": ["upscale-4x"]}}}
    entry = registry.get("studio_x4")
    assert entry.origin == "site" and registry.is_installed(entry)
    assert registry.default_for("upscale-4x").id == "studio_x4"
    # A bad site entry is ignored (pages that parse specs keep working) and reported.
    settings.WAGTAIL_GAN = {"MODELS": {"x": {"task": "upscale", "colour": 1},
                                       "y": {"task": "paint"}}}
    assert "x" not in registry.entries() and "realesrgan_x4plus" in registry.entries()
    errors = registry.config_errors()
    assert any("unknown keys" in e for e in errors) and any("task must be" in e for e in errors)


def test_tasks_are_the_builtin_entries_tasks(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    builtin = [e for e in registry.entries().values() if e.origin == "builtin"]
    assert set(registry.TASKS) == {e.task for e in builtin} and registry.TASKS[0] == "upscale"
    assert {"translate", "removebg", "inpaint", "restore", "interpolate"} <= set(registry.TASKS)
    # A site entry may use any of them (an entry with a new task brings the task).
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "my_nafnet": {"task": "restore", "family": "spandrel_restore", "path": str(tmp_path)}}}
    assert registry.get("my_nafnet").task == "restore" and not registry.config_errors()


# -- resolve / is_available (what the web tier asks) -----------------------------------------


def test_resolve_model_ids_default_keys_and_task_prefixed_ids(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    assert registry.resolve("realesrgan_x2plus").id == "realesrgan_x2plus"
    expected = {
        "upscale-4x": "spanx4_ch48", "upscale-2x": "spanx2_ch48",
        "winterize": "cyclegan_summer2winter_yosemite", "stylize": "styletransfer_multistyle26",
        "stylize-image": "styletransfer_arbitrary", "stylize-monet": "cyclegan_style_monet",
        "edit": "instruct_pix2pix", "img2img": "sd_turbo", "generate": "sd_turbo",
    }
    for key, model_id in expected.items():
        assert registry.resolve(key).id == model_id, key
    assert registry.resolve("upscale-realesr_general_x4v3").id == "realesr_general_x4v3"
    with pytest.raises(registry.UnknownModel, match="Known models: .*realesrgan_x4plus"):
        registry.resolve("sharpen")
    with pytest.raises(registry.UnknownModel, match="default keys: .*upscale-4x"):
        registry.resolve("winterize-70")  # spec text is not a key: the caller passes params
    for bad in ("../etc/passwd", "upscale-../x", "stylize-realesrgan_x4plus", ""):
        with pytest.raises(registry.UnknownModel):
            registry.resolve(bad)


def test_resolve_prefers_a_site_default(settings, tmp_path, tiny_sr_model):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "studio_x4": {"task": "upscale", "scale": 4, "path": str(tiny_sr_model),
                      "default_for": ["upscale-4x"]}}}
    assert registry.resolve("upscale-4x").id == "studio_x4"
    assert registry.resolve("upscale-studio_x4").id == "studio_x4"


def test_is_available(settings, tmp_path, tiny_sr_model):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    assert registry.is_available("stylize") and registry.is_available("stylize-image")
    for key in ("upscale-4x", "upscale-2x", "winterize", "edit", "generate", "realesrgan_x4plus"):
        assert not registry.is_available(key), key
    for bad in ("sharpen", "", None, 7, "../x", "a" * 500):
        assert registry.is_available(bad) is False
    # Only the 4x model installed: upscale-2x can still run (4x model, then downscale).
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "realesrgan_x4plus": {"path": str(tiny_sr_model), "default_for": ["upscale-4x"]}}}
    assert registry.is_available("upscale-4x") and registry.is_available("upscale-2x")
    assert registry.resolve_installed("upscale-2x").id == "realesrgan_x4plus"
    assert registry.resolve("upscale-2x").id == "spanx2_ch48"
    assert not registry.is_available("realesrgan_x2plus")  # an id has no stand-in


def test_dummy_family_needs_no_weights(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "fake_x2": {"task": "upscale", "family": "dummy", "scale": 2,
                    "default_for": ["upscale-2x"]}}}
    entry = registry.resolve("upscale-2x")
    assert entry.id == "fake_x2" and not entry.needs_weights
    assert registry.is_installed(entry) and registry.is_available("upscale-2x")


def test_registry_imports_neither_torch_nor_the_operations():
    """The web tier imports the registry: it must not pull torch (nor the operation registry,
    which imports the model registry: that was an import cycle)."""
    code = (
        "import sys\n"
        "import wagtail_gan.models_zoo.registry, wagtail_gan.models_zoo.errors\n"
        "bad = [m for m in ('torch', 'numpy', 'wagtail_gan.operations') if m in sys.modules]\n"
        "print('IMPORTED', bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=subprocess_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED []" in proc.stdout


def test_model_id_pattern_agrees_with_the_spec_grammar():
    from wagtail_gan.operations import InvalidSpec, parse_spec

    # The upscale grammar takes registry ids as they are (MODEL_ID_RE is the registry's).
    for model_id in registry.upscale_model_ids():
        assert registry.MODEL_ID_RE.match(model_id)
        assert parse_spec(f"upscale-{model_id}").params == {"model": model_id}
    with pytest.raises(InvalidSpec):
        parse_spec("upscale-../../etc")
    from wagtail_gan.operations import upscale

    assert upscale.registry.MODEL_ID_RE is registry.MODEL_ID_RE


def test_entries_are_reused_until_settings_or_the_models_folder_change(settings, tmp_path,
                                                                      tiny_sr_model):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu"}
    first = registry.entries()
    assert registry.entries() == first and registry._entries_cache[2] is not None
    cached = registry._entries_cache[2]
    registry.entries()
    assert registry._entries_cache[2] is cached  # not rebuilt
    (tmp_path / "late_x4.safetensors").write_bytes(tiny_sr_model.read_bytes())
    assert "late_x4" in registry.entries()  # a file dropped in is seen at once
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu",
                            "MODELS": {"site_x2": {"task": "upscale", "scale": 2,
                                                   "path": str(tiny_sr_model)}}}
    assert "site_x2" in registry.entries()  # and a settings change
