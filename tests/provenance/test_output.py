"""What every output carries (``finalize_output``): metadata, watermark and C2PA credentials
on kept variants and text-to-image outputs, what Wagtail renditions keep, PNG for alpha."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from PIL import Image

from tests.provenance.helpers import COMPOSITE, TRAINED, encoded, photo, run_and_keep, signing
from wagtail_gan import provenance
from wagtail_gan.models import GenerationJob, Variant


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
