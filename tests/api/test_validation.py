"""REST API input: field errors (400) that say what is valid, instructions, strict digits in specs,
malformed, deeply nested, non-object and oversized bodies (JSON 400/413/415), JSON 404 for unknown
URLs; nothing is created on refusal."""

from __future__ import annotations

import pytest
from django.test import override_settings
from wagtail.images.exceptions import InvalidFilterSpecError

from tests.api.helpers import API, api_client_for, finished_job, post
from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.utils import gan_override, png_b64
from wagtail_gan.models import GenerationJob
from wagtail_gan.models_zoo import registry

BAD_VARIANT_BODIES = [
    ({"operation": "stylize-3"}, "image"),                              # image missing
    ({"image": "abc", "operation": "stylize-3"}, "image"),
    ({"image": None, "operation": "stylize-3"}, "image"),
    ({"image": 1}, "operation"),                                        # neither op nor text
    ({"image": 1, "operation": "stylize-3", "instruction": "snow"}, "operation"),  # both
    ({"image": 1, "operation": "sharpen-2x"}, "operation"),             # unknown operation
    ({"image": 1, "operation": "stylize-99"}, "operation"),             # unknown style
    ({"image": 1, "operation": "stylize-nosuchstyle"}, "operation"),
    ({"image": 1, "operation": "upscale-8x"}, "operation"),             # unknown scale/model
    ({"image": 1, "operation": "upscale-no_such_model"}, "operation"),
    ({"image": 1, "operation": "winterize-0"}, "operation"),
    ({"image": 1, "operation": "generate"}, "operation"),
    ({"image": 1, "operation": "edit"}, "operation"),                   # edit needs instruction
    ({"image": 1, "operation": ""}, "operation"),
    ({"image": 1, "instruction": "   "}, "instruction"),
    ({"image": 1, "instruction": "x" * 501}, "instruction"),            # over-long
    ({"image": 1, "operation": "stylize-3", "seed": -1}, "seed"),       # out-of-range seed
    ({"image": 1, "operation": "stylize-3", "seed": 2**63}, "seed"),
    ({"image": 1, "operation": "stylize-3", "seed": "lots"}, "seed"),
    ({"image": 1, "operation": "stylize-3", "strength": 1.5}, "strength"),
    ({"image": 1, "operation": "stylize-3", "strength": 0}, "strength"),
    ({"image": 1, "operation": "stylize-3", "collection": "x"}, "collection"),
    ({"image": 1, "operation": "x" * 300}, "operation"),
    # strict numbers: no booleans, no other scripts' digits, no fractions, nothing infinite
    ({"image": True, "operation": "stylize-3"}, "image"),
    ({"image": "１", "operation": "stylize-3"}, "image"),
    ({"image": 1, "operation": "stylize-3", "seed": True}, "seed"),
    ({"image": 1, "operation": "stylize-3", "seed": "４２"}, "seed"),
    ({"image": 1, "operation": "stylize-3", "seed": "٤٢"}, "seed"),
    ({"image": 1, "operation": "stylize-3", "seed": 4.5}, "seed"),
    ({"image": 1, "operation": "stylize-3", "strength": True}, "strength"),
    ({"image": 1, "operation": "stylize-3", "strength": "٠.٥"}, "strength"),
    ({"image": 1, "operation": "stylize-3", "strength": "nan"}, "strength"),
    ({"image": 1, "operation": "stylize-3", "collection": True}, "collection"),
    ({"image": 1, "instruction": "x" * 100_000}, "instruction"),        # refused, not cut
]


@pytest.mark.parametrize("body,field", BAD_VARIANT_BODIES)
def test_bad_variant_input_is_400_with_field_error(api_world, body, field):
    body = {k: (api_world.image.pk if k == "image" and type(v) is int and v == 1 else v)
            for k, v in body.items()}
    response = post(api_client_for(api_world.editor), "variants/", body)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert isinstance(errors[field], list) and errors[field][0]
    assert GenerationJob.objects.count() == 0


def test_unknown_operation_error_lists_valid_choices(api_world):
    response = post(api_client_for(api_world.editor), "variants/",
                    {"image": api_world.image.pk, "operation": "stylize-99"})
    message = response.json()["operation"][0]
    assert "Unknown style" in message and "0..25" in message


def test_nonexistent_image_is_404(api_world):
    response = post(api_client_for(api_world.editor), "variants/",
                    {"image": 2_000_000_000, "operation": "stylize-3"})
    assert response.status_code == 404
    assert "image" in response.json()


def test_style_image_must_be_visible(api_world):
    client = api_client_for(api_world.editor)
    hidden = post(client, "variants/", {"image": api_world.image.pk,
                                        "operation": f"stylize-image{api_world.hidden_image.pk}"})
    assert hidden.status_code == 400
    assert "operation" in hidden.json()
    assert GenerationJob.objects.count() == 0
    ok = post(client, "variants/", {"image": api_world.image.pk,
                                    "operation": f"stylize-image{api_world.style_image.pk}"})
    assert ok.status_code == 202
    assert GenerationJob.objects.get().params == {"style_image": api_world.style_image.pk}


def test_protected_collection_source_is_400(api_world):
    with gan_override(PROTECTED_COLLECTIONS=["Allowed"]):
        response = post(api_client_for(api_world.editor), "variants/",
                        {"image": api_world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 400
    assert "may not be used as sources" in response.json()["image"][0]
    assert GenerationJob.objects.count() == 0


def test_disabled_operation_is_400(api_world):
    with gan_override(ENABLED_OPERATIONS=["upscale"]):
        response = post(api_client_for(api_world.editor), "variants/",
                        {"image": api_world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 400
    assert "not enabled" in response.json()["operation"][0]


@pytest.mark.parametrize("raw,content_type", [
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ('"text"', "application/json"),
])
def test_malformed_bodies_are_400(api_world, raw, content_type):
    response = api_client_for(api_world.editor).post(API + "variants/", raw,
                                                     content_type=content_type)
    assert response.status_code == 400
    assert GenerationJob.objects.count() == 0


def test_form_encoded_body_is_415(api_world):
    response = api_client_for(api_world.editor).post(
        API + "variants/", {"image": api_world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 415


BAD_GENERATE_BODIES = [
    ({"collection": "allowed"}, "prompt"),
    ({"prompt": "a cat"}, "collection"),
    ({"prompt": "", "collection": "allowed"}, "prompt"),
    ({"prompt": "y" * 501, "collection": "allowed"}, "prompt"),
    ({"prompt": "a cat", "collection": "allowed", "count": 5}, "count"),
    ({"prompt": "a cat", "collection": "allowed", "count": 0}, "count"),
    ({"prompt": "a cat", "collection": "allowed", "seed": -5}, "seed"),
    ({"prompt": "a cat", "collection": 999999}, "collection"),
    ({"prompt": "a cat", "collection": "allowed", "count": True}, "count"),
    ({"prompt": "a cat", "collection": "allowed", "count": "２"}, "count"),
    ({"prompt": "a cat", "collection": "allowed", "seed": False}, "seed"),
    ({"prompt": "z" * 100_000, "collection": "allowed"}, "prompt"),
]


@pytest.mark.parametrize("body,field", BAD_GENERATE_BODIES)
def test_bad_generate_input_is_400(api_world, body, field):
    body = {k: (api_world.allowed.pk if v == "allowed" else v) for k, v in body.items()}
    response = post(api_client_for(api_world.editor), "generate/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert GenerationJob.objects.count() == 0


def test_numbers_as_ascii_strings_are_still_accepted(api_world):
    response = post(api_client_for(api_world.editor), "variants/",
                    {"image": str(api_world.image.pk), "operation": "stylize-3", "seed": "42",
                     "strength": "0.5"})
    assert response.status_code == 202, response.content
    job = GenerationJob.objects.get()
    assert job.seed == 42 and job.params["strength"] == 0.5


def test_generate_without_its_model_is_400_naming_the_model(api_world, settings):
    gan_models_override(settings, {"dummy_generate": {**DUMMY_MODELS["dummy_generate"],
                                                      "default_for": []}})
    model = registry.resolve("generate").id
    response = post(api_client_for(api_world.editor), "generate/",
                    {"prompt": "a cat", "collection": api_world.allowed.pk})
    assert response.status_code == 400, response.content
    message = response.json()["prompt"][0]
    assert "not installed" in message and f"gan_models install {model}" in message
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize("spec,limit,message", [
    # 48x32 source: 2x then 4x makes 384x256 = 98,304 pixels
    ("upscale-2x|upscale-4x", {"MAX_OUTPUT_PIXELS": 50_000}, "Step 2 (upscale-4x) would make"),
    ("upscale-2x|stylize-3", {"MAX_INPUT_PIXELS": 5_000}, "Step 2 (stylize-3) would get"),
    ("expand-32x1", {"MAX_OUTPUT_PIXELS": 30_000}, "“expand-32x1” would make a 1024x32"),
])
def test_every_step_is_checked_against_the_pixel_limits_at_submission(api_world, spec, limit,
                                                                       message):
    client = api_client_for(api_world.editor)
    with gan_override(**limit):
        response = post(client, "variants/", {"image": api_world.image.pk, "operation": spec})
    assert response.status_code == 400, response.content
    assert message in response.json()["operation"][0]
    assert GenerationJob.objects.count() == 0
    # within the limits it is accepted
    assert post(client, "variants/", {"image": api_world.image.pk,
                                      "operation": spec}).status_code == 202


def test_a_mask_png_larger_than_the_image_is_400_before_any_decoding(api_world):
    client = api_client_for(api_world.editor)
    for size in ((20000, 20000), (49, 32), (32, 64)):  # the image is 48x32
        response = post(client, "variants/", {"image": api_world.image.pk,
                                              "operation": "erase",
                                              "mask": {"png": png_b64(*size)}})
        assert response.status_code == 400, response.content
        assert "larger than the image (48x32)" in response.json()["mask"][0]
    assert GenerationJob.objects.count() == 0
    for size in ((48, 32), (32, 48), (24, 16)):  # either way round, or smaller
        response = post(client, "variants/", {"image": api_world.image.pk,
                                              "operation": "erase",
                                              "mask": {"png": png_b64(*size)}})
        assert response.status_code == 202, response.content


def test_a_huge_brush_is_clamped_to_the_image(api_world):
    response = post(api_client_for(api_world.editor), "variants/", {
        "image": api_world.image.pk, "operation": "erase",
        "mask": {"strokes": [{"points": [[0, 0], [1, 1], [5, 5]], "radius": 1000}],
                 "size": [1, 1]}})
    assert response.status_code == 202, response.content
    stroke = GenerationJob.objects.get().params["mask"]["strokes"][0]
    assert stroke["radius"] == pytest.approx(2 ** 0.5)  # the 1x1 canvas's diagonal
    assert stroke["points"] == [[0, 0], [1, 1], [1, 1]]


def test_instruction_is_interpreted(api_world):
    response = post(api_client_for(api_world.editor), "variants/",
                    {"image": api_world.image.pk, "instruction": "make it look like winter",
                     "seed": 42})
    assert response.status_code == 202, response.content
    job = GenerationJob.objects.get()
    assert job.instruction == "make it look like winter"
    assert job.seed == 42
    assert job.operation == job.interpretation["spec"]
    assert response.json()["interpretation"]["spec"] == job.operation


def test_instruction_length_follows_setting(api_world):
    client = api_client_for(api_world.editor)
    with gan_override(MAX_INSTRUCTION_LENGTH=10):
        response = post(client, "variants/", {"image": api_world.image.pk,
                                              "instruction": "add lots of snow please"})
    assert response.status_code == 400
    assert "limit is 10" in response.json()["instruction"][0]


@pytest.mark.parametrize("spec", ["stylize-③", "winterize-②", "stylize-²", "stylize-3-③",
                                  "winterize-٣", "upscale-４x"])
def test_unicode_digits_in_specs_are_400(api_world, spec):
    response = post(api_client_for(api_world.editor), "variants/",
                    {"image": api_world.image.pk, "operation": spec})
    assert response.status_code == 400, response.content
    assert response.json()["operation"]
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize("spec", ["stylize-③", "winterize-②", "width-20|poolslot-③"])
def test_unicode_digits_in_image_tags_are_invalid_specs(make_image, spec):
    with pytest.raises(InvalidFilterSpecError):
        make_image().get_rendition(spec)


# discard/ takes no body: it never reads one (and so never fails on one)
POST_PATHS = ["variants/", "generate/", "jobs/{job}/keep/"]


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("body", ["[" * 70_000 + "]" * 70_000, '{"a":' * 10_000 + "1" + "}" * 10_000])
def test_deeply_nested_json_is_a_json_400(api_world, path, body):
    job = finished_job(api_world)
    client = api_client_for(api_world.editor)
    response = client.post(API + path.format(job=job.pk), body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("body", ["[1]", '"x"', "null", "3"])
def test_keep_with_a_body_that_is_not_an_object_keeps_nothing(api_world, body):
    job = finished_job(api_world)
    response = api_client_for(api_world.editor).post(
        API + f"jobs/{job.pk}/keep/", body, content_type="application/json")
    assert response.status_code == 400 and "JSON object" in response.json()["detail"]
    job.refresh_from_db()
    assert job.result_image_id is None and job.outputs


@pytest.mark.parametrize("path", POST_PATHS)
def test_body_over_the_upload_limit_is_a_json_413(api_world, path):
    job = finished_job(api_world)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = api_client_for(api_world.editor).post(
            API + path.format(job=job.pk), '{"prompt": "' + "x" * 5000 + '"}',
            content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json" and response.json()["detail"]


@pytest.mark.parametrize("path", ["nope/", "jobs/1/nope/", "images/x/y/z/"])
def test_unknown_api_urls_are_json_404(api_world, path):
    response = api_client_for(api_world.editor).get(API + path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
