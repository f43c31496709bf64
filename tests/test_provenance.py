"""Provenance: C2PA signing/validation with the dev CA, metadata and watermark on kept
variants, what renditions keep, rights, protected collections, gan_verify, "Check an image"."""

from __future__ import annotations

import io
import os
import stat

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from wagtail_gan import c2pa_signing, jobs, provenance
from wagtail_gan.models import GenerationJob, Variant

COMPOSITE = c2pa_signing.IPTC_DST + c2pa_signing.COMPOSITE
TRAINED = c2pa_signing.IPTC_DST + c2pa_signing.TRAINED


@pytest.fixture(scope="module")
def devcert(tmp_path_factory):
    from wagtail_gan.management.commands.gan_c2pa_devcert import create_dev_identity

    return create_dev_identity(tmp_path_factory.mktemp("c2pa"))


def signing(devcert, anchors=True, **extra):
    conf = {"C2PA_CERT_CHAIN": str(devcert["chain.pem"]),
            "C2PA_PRIVATE_KEY": str(devcert["key.pem"]), **extra}
    if anchors:
        conf["C2PA_TRUST_ANCHORS"] = str(devcert["ca.pem"])
    return override_settings(WAGTAIL_GAN=conf)


def encoded(image: Image.Image, fmt="JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def photo(size=(320, 240)) -> Image.Image:
    from skimage import data

    return Image.fromarray(data.coffee()).resize(size)


# --------------------------------------------------------------------------- C2PA

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
    manifest = c2pa_signing.build_manifest(
        title="out.jpg", created=False, model_id="styletransfer_multistyle26",
        model_sha256="ab" * 32, operation="stylize-3", extra={"job_id": 1}, has_parent=True,
    )
    with signing(devcert):
        signed = c2pa_signing.sign(output, "jpg", manifest, parent=(source, "jpg", "Coffee"))
        report = c2pa_signing.read(signed)
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
        assert c2pa_signing.read(signed).state == "Valid"

    # Pixels changed after signing: detected.
    img = Image.open(io.BytesIO(signed))
    jpeg_start = signed.rindex(b"\xff\xda")  # start of scan: compressed pixel data follows
    tampered = bytearray(signed)
    tampered[jpeg_start + 200] ^= 0x5A
    with signing(devcert):
        bad = c2pa_signing.read(bytes(tampered))
    assert bad.state == "Invalid"
    assert "assertion.dataHash.mismatch" in {f["code"] for f in bad.failures}
    assert "does NOT validate" in bad.summary()

    # Re-encoding (what a Wagtail rendition does) drops the manifest altogether.
    assert c2pa_signing.read(encoded(img, quality=90)).state is None


@pytest.mark.ml
def test_text_to_image_manifest_is_created(devcert):
    manifest = c2pa_signing.build_manifest(
        title="gen.png", created=True, model_id="sd-turbo", model_sha256="", operation="generate"
    )
    with signing(devcert):
        report = c2pa_signing.read(c2pa_signing.sign(encoded(photo(), "PNG"), "png", manifest))
    assert report.state == "Trusted"
    [created] = report.actions
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == TRAINED
    assert report.ingredients == []


def test_misconfigured_signing_is_a_clear_error(tmp_path, devcert):
    with override_settings(WAGTAIL_GAN={"C2PA_CERT_CHAIN": str(tmp_path / "missing.pem"),
                                        "C2PA_PRIVATE_KEY": str(devcert["key.pem"])}):
        with pytest.raises(c2pa_signing.SigningError, match="cannot read .*missing.pem"):
            c2pa_signing.sign(encoded(photo()), "jpg", c2pa_signing.build_manifest(
                title="x", created=True, model_id="m", model_sha256="", operation="generate"))


def test_system_check_reports_unusable_c2pa_settings(tmp_path, devcert):
    from django.core import checks

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


# --------------------------------------------------------------------------- kept variants

@pytest.fixture
def big_source(gan_world, make_image):
    return make_image(title="Quay at noon", collection=gan_world.team, width=256, height=192,
                      fmt="JPEG")


def run_and_keep(world, source, capture, operation="stylize-3"):
    job = jobs.submit_variant_job(user=world.editor, image=source, operation=operation, seed=3)
    jobs.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    with capture(execute=True):
        kept = jobs.keep_job(job, world.editor)
    with kept.open_file() as fh:
        return job, kept, fh.read()


@pytest.mark.django_db
def test_kept_variant_carries_metadata_watermark_and_credentials(
    gan_world, big_source, devcert, django_capture_on_commit_callbacks
):
    with signing(devcert):
        job, kept, data = run_and_keep(gan_world, big_source, django_capture_on_commit_callbacks)
        report = provenance.inspect_file(data, name="kept.jpg")
    variant = Variant.objects.get(image=kept)

    xmp = report["xmp"]
    assert xmp["Iptc4xmpExt:DigitalSourceType"] == COMPOSITE
    assert xmp["Iptc4xmpExt:AISystemUsed"] == variant.model_id != ""
    assert xmp["Iptc4xmpExt:AISystemVersionUsed"] == f"sha256:{variant.model_sha256}"
    assert xmp["wgan:Job"] == str(job.uuid) and xmp["wgan:SourceImage"] == str(big_source.pk)
    assert "Quay at noon" in xmp["dc:source"]

    assert report["watermark"]["found"], (report["watermark"], report.get("width"), report.get("height"))
    assert report["watermark"]["ident"] == job.pk
    assert report["match"]["variant"]["id"] == variant.pk
    assert report["ours"] and f"variant {variant.pk}" in report["verdict"]
    assert "Derived from “Quay at noon”; the source's rights apply." in report["verdict"]

    c2pa = report["c2pa"]
    assert c2pa["state"] == "Trusted"
    assert [a["action"] for a in c2pa["actions"]] == ["c2pa.opened", "c2pa.edited"]
    assert c2pa["actions"][1]["softwareAgent"]["version"] == f"sha256:{variant.model_sha256}"
    assert c2pa["ingredients"] == [
        {"title": "Quay at noon", "relationship": "parentOf", "format": "image/jpeg"}
    ]
    assert c2pa["generation"]["job_uuid"] == str(job.uuid)

    # Re-compressed at JPEG q75: the watermark still names the variant.
    q75 = encoded(Image.open(io.BytesIO(data)), quality=75)
    again = provenance.inspect_file(q75)
    assert again["match"]["variant"]["id"] == variant.pk
    assert again["c2pa"]["state"] is None and again["xmp"] == {}


@pytest.mark.django_db
def test_wagtail_renditions_of_a_signed_variant(
    gan_world, make_image, devcert, django_capture_on_commit_callbacks
):
    """Measured: Wagtail renditions are re-encoded by Willow, so they lose the C2PA manifest
    and the XMP; the watermark stays in same-size renditions and is found in resized ones
    (down to 3/4 size for textured outputs like this one, about 1/2 for photo-like ones) by
    trying our variants' sizes; crops lose it."""
    source = make_image(title="Wide quay", collection=gan_world.team, width=512, height=384,
                        fmt="JPEG")
    with signing(devcert):
        job, kept, _ = run_and_keep(gan_world, source, django_capture_on_commit_callbacks)
        assert (kept.width, kept.height) == (512, 384)
        results = {}
        for spec in ("original|format-jpeg", "width-384", "fill-100x100"):
            rendition = kept.get_rendition(spec)
            with rendition.file.open("rb") as fh:
                results[spec] = provenance.inspect_file(fh.read())
    for report in results.values():
        assert report["c2pa"]["state"] is None
        assert "wgan:Job" not in report["xmp"]
    same = results["original|format-jpeg"]["watermark"]
    assert same["found"] and not same["resized"] and same["ident"] == job.pk
    resized = results["width-384"]["watermark"]
    assert resized["found"] and resized["resized"] and resized["decoded_at"] == [kept.width, kept.height]
    assert not results["fill-100x100"]["watermark"]["found"]  # cropped: lost


@pytest.mark.django_db
def test_text_to_image_output_is_trained_algorithmic_media(gan_world, devcert):
    job = GenerationJob.objects.create(kind="generate", operation="generate", user=gan_world.editor,
                                       instruction="a lighthouse", model_id="tiny-txt2img")
    with signing(devcert):
        data, ext = provenance.finalize_output(photo((256, 256)), job=job, index=2)
        report = provenance.inspect_file(data)
    assert ext == "jpg"
    assert report["xmp"]["Iptc4xmpExt:DigitalSourceType"] == TRAINED
    assert "dc:source" not in report["xmp"]
    assert report["c2pa"]["state"] == "Trusted"
    assert [a["action"] for a in report["c2pa"]["actions"]] == ["c2pa.created"]
    assert report["watermark"]["index"] == 2
    assert report["match"]["note"] == f"Output 2 of job {job.pk} was not kept in the library."


@pytest.mark.ml
def test_checker_refuses_oversized_and_broken_files():
    big = encoded(Image.new("RGB", (4000, 3000), (10, 20, 30)), quality=50)
    with override_settings(WAGTAIL_GAN={"MAX_OUTPUT_PIXELS": 1000 * 1000}):
        report = provenance.inspect_file(big, use_database=False)
    assert report["width"] == 4000 and not report["watermark"]["found"]
    assert "too large for the watermark check" in report["errors"][0]
    truncated = encoded(photo())[:2000]
    report = provenance.inspect_file(truncated, use_database=False)
    assert "Not a readable image" in report["errors"][0] and report["ours"] is False


@pytest.mark.django_db
def test_unsigned_when_not_configured_and_png_for_alpha(gan_world):
    job = GenerationJob.objects.create(kind="variant", operation="stylize-1",
                                       source_image=gan_world.image, user=gan_world.editor)
    rgba = photo((128, 96)).convert("RGBA")
    data, ext = provenance.finalize_output(rgba, job=job)
    assert ext == "png"
    report = provenance.inspect_file(data)
    assert report["c2pa"]["state"] is None and report["watermark"]["found"]
    assert report["xmp"]["Iptc4xmpExt:DigitalSourceType"] == COMPOSITE
    with override_settings(WAGTAIL_GAN={"WATERMARK": False}):
        data, _ = provenance.finalize_output(rgba, job=job)
    assert not provenance.inspect_file(data)["watermark"]["found"]


# --------------------------------------------------------------------------- rights

@pytest.mark.django_db
def test_rights_summary_in_api_and_deleted_source(client, gan_world,
                                                  django_capture_on_commit_callbacks):
    from tests.gan_admin_fixtures import write_pending_output

    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, operation="stylize-2")
    write_pending_output(job)
    with django_capture_on_commit_callbacks(execute=True):
        kept = jobs.keep_job(job, gan_world.editor)
    variant = kept.gan_variant
    summary = provenance.rights_summary(variant)
    assert summary["statement"] == "Derived from “Harbour”; the source's rights apply."
    assert summary["derived_from"] == {"id": gan_world.image.pk, "title": "Harbour", "exists": True}
    # The API shows the same summary with each variant.
    client.force_login(gan_world.editor)
    response = client.get(reverse("wagtail_gan_api:image-variants", args=[gan_world.image.pk]))
    assert response.status_code == 200, response.content
    [listed] = response.json()["results"]
    assert listed["rights"]["statement"] == summary["statement"]
    assert listed["rights"]["derived_from"]["title"] == "Harbour"
    # ... and so does the variant's edit page in the admin.
    edit = client.get(reverse("wagtailimages:edit", args=[kept.pk]))
    assert edit.status_code == 200
    banner = edit.content.decode().split("data-gan-rights>", 1)[1].split("</span>", 1)[0]
    assert banner == "Derived from the source image: the source's rights apply."
    gan_world.image.delete()
    variant.refresh_from_db()
    summary = provenance.rights_summary(variant)
    assert summary["derived_from"]["exists"] is False and "Harbour" in summary["statement"]
    assert "deleted" in summary["statement"]

    text = Variant(image=kept, operation="generate", model_id="styletransfer_multistyle26")
    summary = provenance.rights_summary(text)
    assert summary["derived_from"] is None
    assert summary["statement"].startswith("Generated from a text prompt by styletransfer_multistyle26")
    assert "Apache-2.0" in summary["model"]["licence"]


@pytest.mark.django_db
def test_copy_rights_copies_fields_the_models_have(gan_world, make_image):
    target = make_image(title="", collection=gan_world.team)
    target.title = ""
    with override_settings(WAGTAIL_GAN={"RIGHTS_FIELDS": ["title", "credit", "collection"]}):
        # "credit" does not exist on Wagtail's Image; relations are never copied.
        assert provenance.copy_rights(gan_world.image, target) == ["title"]
        assert target.title == "Harbour"
        target.title = "Mine"
        assert provenance.copy_rights(gan_world.image, target) == []  # never overwrites
    assert provenance.copy_rights(None, target) == []


@pytest.mark.django_db
def test_protected_collection_refuses_sources(gan_world):
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": ["stock"]}):
        with pytest.raises(PermissionDenied, match="“Stock” may not be used as sources"):
            provenance.check_source_not_protected(gan_world.stock_image)
        provenance.check_source_not_protected(gan_world.image)
    provenance.check_source_not_protected(gan_world.stock_image)
    # A protected image cannot be a style reference either.
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": [gan_world.stock.pk]}):
        with pytest.raises(jobs.JobError, match="style images included"):
            jobs.submit_variant_job(user=gan_world.admin, image=gan_world.image,
                                    operation=f"stylize-image{gan_world.stock_image.pk}")
    assert not GenerationJob.objects.exists()


# --------------------------------------------------------------------------- verifier

@pytest.mark.django_db
def test_gan_verify_command(gan_world, big_source, devcert, tmp_path, capsys,
                            django_capture_on_commit_callbacks):
    with signing(devcert):
        job, kept, data = run_and_keep(gan_world, big_source, django_capture_on_commit_callbacks)
        ours = tmp_path / "ours.jpg"
        ours.write_bytes(data)
        call_command("gan_verify", str(ours))
        out = capsys.readouterr().out
        assert f"variant:    {kept.gan_variant.pk}" in out and "trusted certificate" in out
        assert "compositeWithTrainedAlgorithmicMedia" in out

        plain = tmp_path / "plain.jpg"
        plain.write_bytes(encoded(photo()))
        with pytest.raises(SystemExit) as exc:
            call_command("gan_verify", str(plain))
        assert exc.value.code == 1

        start = data.rindex(b"\xff\xda")
        tampered = bytearray(data)
        tampered[start + 300] ^= 0x33
        bad = tmp_path / "bad.jpg"
        bad.write_bytes(bytes(tampered))
        with pytest.raises(SystemExit) as exc:
            call_command("gan_verify", str(bad), "--json")
        assert exc.value.code == 2
        assert '"state": "Invalid"' in capsys.readouterr().out
    with pytest.raises(CommandError, match="No such file"):
        call_command("gan_verify", str(tmp_path / "nope.jpg"))


@pytest.mark.django_db
def test_check_an_image_admin_page(client, gan_world, big_source, devcert,
                                   django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("wagtail_gan_check_image")
    with signing(devcert):
        job, kept, data = run_and_keep(gan_world, big_source, django_capture_on_commit_callbacks)
        client.force_login(gan_world.editor)
        page = client.get(url)
        assert page.status_code == 200 and b"Check an image" in page.content
        menu = client.get(reverse("wagtailadmin_home"))
        assert url.encode() in menu.content

        response = client.post(url, {"file": SimpleUploadedFile("found.jpg", data, "image/jpeg")})
        assert response.status_code == 200
        html = response.content.decode()
        assert f"variant {kept.gan_variant.pk}" in html
        assert reverse("wagtailimages:edit", args=[kept.pk]) in html
        assert reverse("wagtailimages:edit", args=[big_source.pk]) in html
        assert 'data-gan-c2pa-state="Trusted"' in html
        assert "the source&#x27;s rights apply" in html

        response = client.post(url, {"file": SimpleUploadedFile("x.jpg", b"not an image")})
        assert response.status_code == 200
        assert "Not a readable image" in response.content.decode()
        assert "No wagtail-gan watermark" in response.content.decode()

    # Admin access without any image permission: refused, and no menu item.
    nobody = get_user_model().objects.create_user("nobody", "n@example.com", "pw")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(nobody)
    refused = client.get(url)  # Wagtail turns PermissionDenied into a redirect with a message
    assert refused.status_code == 302 and refused.url == reverse("wagtailadmin_home")
    assert url.encode() not in client.get(reverse("wagtailadmin_home")).content
