"""The erase tool's form: a painted mask (``erase_mask_json``, written by the gan-erase
controller) becomes the job's mask; a bad one is a field error and no job; the rectangle text
field still works without JavaScript."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.gan_admin_fixtures import login, variant_url
from tests.utils import png_b64
from wagtail_gan.models import GenerationJob

pytestmark = pytest.mark.django_db


def post(gan_world, **data):
    return login(gan_world.editor).post(variant_url(gan_world.image),
                                        {"operation": "erase", **data})


def test_the_panel_shows_the_tool_with_the_source_size(gan_world):
    w = gan_world
    html = login(w.editor).get(reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    assert 'data-controller="gan-erase"' in html
    assert 'data-gan-erase-width-value="40"' in html and 'data-gan-erase-height-value="30"' in html
    assert "Paint over what to remove" in html
    assert 'type="hidden" name="erase_mask_json"' in html
    assert 'name="erase_mask"' in html  # the no-JS fallback


def test_a_painted_mask_becomes_the_jobs_mask(gan_world):
    mask = {"strokes": [{"points": [[3, 4], [10.5, 12]], "radius": 2.5}],
            "rects": [[20, 5, 8, 6]], "size": [40, 30]}
    response = post(gan_world, erase_mask_json=json.dumps(mask))
    job = GenerationJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    assert job.operation == "erase"
    assert job.params["mask"] == {"rects": [[20, 5, 8, 6]], "size": [40, 30],
                                  "strokes": [{"points": [[3, 4], [10.5, 12]], "radius": 2.5}]}


def test_rectangles_and_a_mask_together(gan_world):
    mask = {"strokes": [{"points": [[3, 4]], "radius": 2}], "size": [40, 30]}
    post(gan_world, erase_mask="1.2.5.5", erase_mask_json=json.dumps(mask))
    job = GenerationJob.objects.get()
    assert job.operation == "erase-1.2.5.5"
    assert job.params["rects"] == [[1, 2, 5, 5]] and job.params["mask"]["strokes"]


def test_the_rectangle_field_still_works_without_the_tool(gan_world):
    post(gan_world, erase_mask="1.2.5.5 10.10.4.4", erase_mask_json="")
    job = GenerationJob.objects.get()
    assert job.operation == "erase-1.2.5.5-10.10.4.4" and "mask" not in job.params


@pytest.mark.parametrize("value, message", [
    ("{not json", "could not be read"),
    (json.dumps({"strokes": [{"points": [[3, -4]], "radius": 2}]}), "point y must be"),
    (json.dumps({"strokes": []}), "mask is empty"),
    (json.dumps({"lines": []}), "unknown keys"),
])
def test_a_bad_mask_is_a_field_error_and_no_job(gan_world, value, message):
    response = post(gan_world, erase_mask_json=value)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["erase_mask_json"])
    assert message in response.content.decode()  # shown beside the tool
    assert not GenerationJob.objects.exists()


def test_a_mask_png_larger_than_the_image_is_a_field_error(gan_world):
    # the image is 40x30; the PNG's size is read from its header (nothing decoded)
    response = post(gan_world, erase_mask_json=json.dumps({"png": png_b64(20000, 20000)}))
    assert response.status_code == 400
    message = " ".join(response.context["form"].non_field_errors()
                       + response.context["form"].errors.get("erase_mask_json", []))
    assert "larger than the image (40x30)" in message or "MAX_INPUT_PIXELS" in message
    response = post(gan_world, erase_mask_json=json.dumps({"png": png_b64(41, 30)}))
    assert response.status_code == 400
    assert "larger than the image (40x30)" in response.content.decode()
    assert not GenerationJob.objects.exists()


def test_a_huge_brush_is_clamped_to_the_canvas(gan_world):
    mask = {"strokes": [{"points": [[3, 4], [400, 12]], "radius": 1000}], "size": [40, 30]}
    assert post(gan_world, erase_mask_json=json.dumps(mask)).status_code == 302
    stroke = GenerationJob.objects.get().params["mask"]["strokes"][0]
    assert stroke == {"points": [[3, 4], [40, 12]], "radius": 50.0}


def test_nothing_marked_says_so_and_no_job(gan_world):
    response = post(gan_world, erase_mask="", erase_mask_json="")
    assert response.status_code == 400
    assert "paint over it on the image" in " ".join(response.context["form"].errors["erase_mask"])
    assert not GenerationJob.objects.exists()


def test_a_leftover_mask_is_ignored_by_another_operation(gan_world):
    mask = {"strokes": [{"points": [[3, 4]], "radius": 2}]}
    post(gan_world, operation="upscale-2x", erase_mask_json=json.dumps(mask))
    job = GenerationJob.objects.get()
    assert job.operation == "upscale-2x" and "mask" not in job.params


def test_erase_is_offered_with_the_classical_engine_when_lama_is_missing(gan_world, settings):
    """No LaMa (nor its dummy): OpenCV's classical inpainting stands in, so the tool is shown
    and the menu's Erase is not greyed out."""
    gan_models_override(settings, {"dummy_inpaint": {**DUMMY_MODELS["dummy_inpaint"],
                                                     "default_for": []}})
    html = login(gan_world.editor).get(
        reverse("wagtailimages:edit", args=[gan_world.image.pk])).content.decode()
    assert '<option value="erase">' in html and 'data-controller="gan-erase"' in html
    response = post(gan_world, erase_mask="2.2.10.10")
    assert response.status_code == 302
    assert GenerationJob.objects.get().operation == "erase-2.2.10.10"


def test_erase_without_any_engine_says_one_thing(gan_world, settings):
    gan_models_override(settings, {
        "dummy_inpaint": {**DUMMY_MODELS["dummy_inpaint"], "default_for": []},
        # the classical engine made unavailable: a site entry that needs weights
        "opencv_telea": {"task": "inpaint", "family": "lama", "filename": "missing.pt"},
    })
    html = post(gan_world).content.decode()
    assert "can’t run yet" in html
    assert "Describe the edit you want, or choose an operation." not in html
    assert not GenerationJob.objects.exists()
