"""Improve on upload: IMPROVE_ON_UPLOAD rules propose variants of new or replaced images, as
jobs waiting for the uploader's review; the original is never replaced."""

from __future__ import annotations

import io

import pytest
from django.core.checks import run_checks
from django.urls import reverse
from PIL import Image as PILImage

from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.utils import gan_override
from wagtail_gan.jobs.policy import jpeg_quality
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob

pytestmark = pytest.mark.django_db


def rules(*items, **extra):
    return gan_override(IMPROVE_ON_UPLOAD=list(items), **extra)


@pytest.mark.parametrize("quality", [20, 45, 70, 92])
def test_jpeg_quality_is_estimated_from_the_quantisation_tables(quality):
    buf = io.BytesIO()
    PILImage.effect_noise((64, 64), 40).convert("RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with PILImage.open(buf) as pil:
        assert abs(jpeg_quality(pil) - quality) <= 2
    buf = io.BytesIO()
    PILImage.new("RGB", (8, 8)).save(buf, "PNG")
    buf.seek(0)
    with PILImage.open(buf) as pil:
        assert jpeg_quality(pil) is None


def test_small_upload_gets_a_proposal_waiting_for_review(gan_world, make_image,
                                                         django_capture_on_commit_callbacks):
    with rules({"spec": "upscale-2x", "if": {"smaller_than": 100}}):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            image = make_image(title="Tiny", collection=gan_world.team, width=60, height=40)
            image.uploaded_by_user = gan_world.editor
            image.save()  # no new file: nothing more
    job = GenerationJob.objects.get()
    assert (job.source, job.operation, job.source_image, job.user) == (
        "policy", "upscale-2x", image, None)  # made in code: no uploader
    assert "longest side is 60 px" in job.interpretation["explanation"]
    assert callbacks  # queued once the upload committed
    original = image.file.name, image.file_hash
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.outputs and job.result_image_id is None
    image.refresh_from_db()
    assert (image.file.name, image.file_hash) == original


def test_rules_and_conditions(gan_world, make_image, make_image_file):
    policy = [
        {"spec": "upscale-2x", "if": {"smaller_than": 100}},
        {"spec": "stylize-3", "if": {"collection": "Stock", "formats": ["jpg"]}},
        {"spec": "winterize|upscale-4x", "if": {"formats": ["png"]}},
    ]
    with rules(*policy):
        big_png = make_image(title="Big", collection=gan_world.team, width=120, height=90)
        stock_jpeg = make_image(title="Stock", collection=gan_world.stock, width=120,
                                height=90, fmt="JPEG")
    ops = dict(GenerationJob.objects.values_list("source_image__title", "operation"))
    assert ops == {"Big": "winterize|upscale-4x", "Stock": "stylize-3"}
    # a replaced file is a new upload; an unchanged one is not
    with rules(*policy):
        stock_jpeg.title = "Renamed"
        stock_jpeg.save()
        assert GenerationJob.objects.count() == 2
        big_png.file = make_image_file(width=50, height=50, name="small.png")
        big_png._set_image_file_metadata()
        big_png.save()
    assert set(GenerationJob.objects.filter(source_image=big_png).values_list(
        "operation", flat=True)) == {"winterize|upscale-4x", "upscale-2x"}


def test_an_operation_that_cannot_run_is_never_proposed(gan_world, make_image, settings):
    gan_models_override(settings, {"dummy_winterize": {**DUMMY_MODELS["dummy_winterize"],
                                                       "default_for": []}})
    with rules({"spec": "winterize"}, {"spec": "stylize-1"}):
        make_image(collection=gan_world.team)
    assert list(GenerationJob.objects.values_list("operation", flat=True)) == ["stylize-1"]
    with rules({"spec": "stylize-1"}, ENABLED_OPERATIONS=["upscale"]):
        make_image(collection=gan_world.team)
    assert GenerationJob.objects.count() == 1


def test_a_proposal_past_the_pixel_limits_is_never_made(gan_world, make_image):
    # 64x48: upscale-2x makes 128x96 = 12,288 pixels, then upscale-4x 512x384
    with rules({"spec": "upscale-2x|upscale-4x"}, {"spec": "upscale-2x"},
               MAX_OUTPUT_PIXELS=20_000):
        make_image(collection=gan_world.team)
    assert list(GenerationJob.objects.values_list("operation", flat=True)) == ["upscale-2x"]


def test_bad_rules_are_system_check_errors():
    with rules({"spec": "sharpen-2"}, {"spec": "upscale-2x", "if": {"bigger_than": 3}}, {}):
        errors = [m for m in run_checks() if m.id == "wagtail_gan.E003"]
    assert len(errors) == 3
    assert "Unknown operation 'sharpen'" in errors[0].msg
    assert "bigger_than" in errors[1].msg and "'spec'" in errors[2].msg


def test_suggested_improvements_are_listed_for_their_uploader(gan_world, make_image, client):
    with rules({"spec": "stylize-2"}):
        image = make_image(title="Fresh", collection=gan_world.team)
    GenerationJob.objects.update(user=gan_world.editor)
    client.force_login(gan_world.editor)
    html = client.get(reverse("wagtail_gan_jobs:index") + "?source=policy").content.decode()
    assert "Fresh" in html
    with rules({"spec": "stylize-2"}):
        menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Suggested improvements" in menu and "source=policy" in menu
    # the menu item only where IMPROVE_ON_UPLOAD proposes variants
    assert "Suggested improvements" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert image.pk
