"""C2PA content credentials: the dev CA command, signing, reading, validating, tampering;
misconfiguration errors and the W006 system check."""

from __future__ import annotations

import io
import os
import stat

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.test import override_settings
from PIL import Image

from tests.provenance.helpers import COMPOSITE, TRAINED, encoded, photo, signing
from wagtail_gan.provenance import c2pa


def test_devcert_command(tmp_path, capsys):
    folder = tmp_path / "certs"
    call_command("gan_c2pa_devcert", dir=str(folder))
    out = capsys.readouterr().out
    assert "C2PA_CERT_CHAIN" in out and str(folder.resolve() / "chain.pem") in out
    chain = (folder / "chain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert stat.S_IMODE(os.stat(folder / "key.pem").st_mode) == 0o600
    before = chain
    call_command("gan_c2pa_devcert", dir=str(folder))  # kept without --force
    assert (folder / "chain.pem").read_text() == before
    call_command("gan_c2pa_devcert", dir=str(folder), force=True)
    assert (folder / "chain.pem").read_text() != before
    (folder / "ca.pem").unlink()
    with pytest.raises(CommandError, match="--force"):
        call_command("gan_c2pa_devcert", dir=str(folder))


@pytest.mark.ml
def test_sign_read_validate_and_tamper(devcert):
    source = encoded(photo((160, 120)))
    output = encoded(photo(), quality=90)
    manifest = c2pa.build_manifest(
        title="out.jpg", created=False, model_id="styletransfer_multistyle26",
        model_sha256="ab" * 32, operation="stylize-3", extra={"job_id": 1}, has_parent=True,
    )
    with signing(devcert):
        signed = c2pa.sign(output, "jpg", manifest, parent=(source, "jpg", "Coffee"))
        report = c2pa.read(signed)
    assert report.state == "Trusted", report.failures
    actions = [a["action"] for a in report.actions]
    assert actions == ["c2pa.opened", "c2pa.edited"]
    edited = report.actions[1]
    assert edited["digitalSourceType"] == COMPOSITE
    assert edited["softwareAgent"] == {"name": "styletransfer_multistyle26", "version": "sha256:" + "ab" * 32}
    assert [(i["title"], i["relationship"]) for i in report.ingredients] == [("Coffee", "parentOf")]
    assert report.generation == {"job_id": 1}
    assert "thumbnail" not in str(report.manifest).lower()  # thumbnails off by default

    # The same file without our CA as trust anchor: intact, but not trusted.
    with signing(devcert, anchors=False):
        assert c2pa.read(signed).state == "Valid"

    # Pixels changed after signing: detected.
    img = Image.open(io.BytesIO(signed))
    jpeg_start = signed.rindex(b"\xff\xda")  # start of scan: compressed pixel data follows
    tampered = bytearray(signed)
    tampered[jpeg_start + 200] ^= 0x5A
    with signing(devcert):
        bad = c2pa.read(bytes(tampered))
    assert bad.state == "Invalid"
    assert "assertion.dataHash.mismatch" in {f["code"] for f in bad.failures}
    assert "does NOT validate" in bad.summary()

    # Re-encoding (what a Wagtail rendition does) drops the manifest altogether.
    assert c2pa.read(encoded(img, quality=90)).state is None


@pytest.mark.ml
def test_text_to_image_manifest_is_created(devcert):
    manifest = c2pa.build_manifest(
        title="gen.png", created=True, model_id="sd-turbo", model_sha256="", operation="generate"
    )
    with signing(devcert):
        report = c2pa.read(c2pa.sign(encoded(photo(), "PNG"), "png", manifest))
    assert report.state == "Trusted"
    [created] = report.actions
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == TRAINED
    assert report.ingredients == []


def test_misconfigured_signing_is_a_clear_error(tmp_path, devcert):
    with override_settings(WAGTAIL_GAN={"C2PA_CERT_CHAIN": str(tmp_path / "missing.pem"),
                                        "C2PA_PRIVATE_KEY": str(devcert["key.pem"])}):
        with pytest.raises(c2pa.SigningError, match="cannot read .*missing.pem"):
            c2pa.sign(encoded(photo()), "jpg", c2pa.build_manifest(
                title="x", created=True, model_id="m", model_sha256="", operation="generate"))


def test_system_check_reports_unusable_c2pa_settings(tmp_path, devcert):
    def w006():
        return [m.msg for m in checks.run_checks() if m.id == "wagtail_gan.W006"]

    assert w006() == []
    with signing(devcert):
        assert w006() == []
    with override_settings(WAGTAIL_GAN={"C2PA_CERT_CHAIN": str(devcert["chain.pem"])}):
        assert w006() == ["only one of C2PA_CERT_CHAIN and C2PA_PRIVATE_KEY is set: outputs "
                          "are not signed"]
    (tmp_path / "junk.pem").write_text("not a key")
    with override_settings(WAGTAIL_GAN={"C2PA_CERT_CHAIN": str(devcert["chain.pem"]),
                                        "C2PA_PRIVATE_KEY": str(tmp_path / "junk.pem"),
                                        "C2PA_TRUST_ANCHORS": str(tmp_path / "none.pem")}):
        [bad_key, missing] = w006()
    assert "C2PA_PRIVATE_KEY" in bad_key and "not PEM" in bad_key
    assert "none.pem" in missing and "gan_c2pa_devcert" in missing
