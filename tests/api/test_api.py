"""REST API: every endpoint, the permission matrix, validation, throttling, idempotency."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests.api.fixtures import (  # noqa: F401 (fixtures)
    api_client_for,
    api_world_fixture,
    clear_throttle_cache_fixture,
)
from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, Variant

API = "/api/gan/"

GET_ENDPOINTS = ["models/", "operations/", "jobs/", "jobs/1/", "images/1/variants/"]
POST_ENDPOINTS = ["variants/", "generate/", "jobs/1/keep/", "jobs/1/discard/"]


def gan_override(**values):
    return override_settings(WAGTAIL_GAN={**gan_settings.user_settings, **values})


def post(client, path, data, **headers):
    return client.post(API + path, data, format="json", **headers)


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("path", GET_ENDPOINTS)
def test_anonymous_get_is_401_with_token_challenge(api_world, path):
    response = api_client_for(None).get(API + path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_anonymous_post_is_401_and_creates_nothing(api_world, path):
    response = post(api_client_for(None), path, {"image": api_world.image.pk,
                                                 "operation": "stylize-3"})
    assert response.status_code == 401
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize("path", GET_ENDPOINTS + ["variants/"])
def test_user_without_admin_access_is_403(api_world, path):
    client = api_client_for(api_world.nonadmin)
    response = client.get(API + path) if path != "variants/" else post(
        client, path, {"image": api_world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 403
    assert GenerationJob.objects.count() == 0


def test_bad_token_is_401(api_world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(API + "models/").status_code == 401


def test_session_auth_works_and_enforces_csrf(api_world):
    from django.middleware.csrf import _get_new_csrf_string
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.login(username="editor", password="pw")
    assert client.get(API + "operations/").status_code == 200
    body = {"image": api_world.image.pk, "operation": "stylize-3"}
    refused = client.post(API + "variants/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert GenerationJob.objects.count() == 0
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post(API + "variants/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 202, accepted.content
    assert GenerationJob.objects.get().user == api_world.editor


# --------------------------------------------------------------------------- permission matrix

MATRIX = [
    # (user, image attr, expected status)
    ("editor", "image", 202),
    ("admin", "image", 202),
    ("admin", "hidden_image", 202),
    ("viewer", "image", 403),         # sees the image (choose) but may not change it
    ("outsider", "image", 404),       # may not see it at all: looks like a missing image
    ("editor", "hidden_image", 404),
]


@pytest.mark.parametrize("username,image_attr,expected", MATRIX)
def test_variant_permission_matrix(api_world, username, image_attr, expected):
    user = getattr(api_world, username)
    image = getattr(api_world, image_attr)
    response = post(api_client_for(user), "variants/", {"image": image.pk,
                                                        "operation": "upscale-2x"})
    assert response.status_code == expected, response.content
    if expected == 202:
        job = GenerationJob.objects.get()
        assert job.user == user and job.source_image == image
        assert job.status == "queued" and job.operation == "upscale-2x"
        assert job.collection == image.collection
        body = response.json()
        assert body["id"] == job.pk and body["status"] == "queued"
        assert response["Location"].endswith(f"{API}jobs/{job.pk}/")
        assert body["url"] == response["Location"]
    else:
        assert GenerationJob.objects.count() == 0
        if expected == 404:
            assert "image" in response.json()


def test_variant_into_collection_without_add_permission_is_403(api_world):
    response = post(api_client_for(api_world.editor), "variants/", {
        "image": api_world.image.pk, "operation": "stylize-3", "collection": api_world.other.pk,
    })
    assert response.status_code == 403
    assert GenerationJob.objects.count() == 0


def test_variant_into_unknown_collection_is_400(api_world):
    response = post(api_client_for(api_world.editor), "variants/", {
        "image": api_world.image.pk, "operation": "stylize-3", "collection": 999999,
    })
    assert response.status_code == 400
    assert "collection" in response.json()


@pytest.mark.parametrize("username,collection_attr,expected", [
    ("editor", "allowed", 202),
    ("editor", "other", 403),
    ("viewer", "allowed", 403),
    ("outsider", "allowed", 403),
    ("admin", "other", 202),
])
def test_generate_permission_matrix(api_world, username, collection_attr, expected):
    response = post(api_client_for(getattr(api_world, username)), "generate/", {
        "prompt": "a lighthouse at dusk", "collection": getattr(api_world, collection_attr).pk,
        "count": 2, "seed": 7,
    })
    assert response.status_code == expected, response.content
    if expected == 202:
        job = GenerationJob.objects.get()
        assert (job.kind, job.count, job.seed, job.instruction) == (
            "generate", 2, 7, "a lighthouse at dusk")
        assert response.json()["kind"] == "generate"
    else:
        assert GenerationJob.objects.count() == 0


# --------------------------------------------------------------------------- validation

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
]


@pytest.mark.parametrize("body,field", BAD_VARIANT_BODIES)
def test_bad_variant_input_is_400_with_field_error(api_world, body, field):
    body = {k: (api_world.image.pk if k == "image" and v == 1 else v) for k, v in body.items()}
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
]


@pytest.mark.parametrize("body,field", BAD_GENERATE_BODIES)
def test_bad_generate_input_is_400(api_world, body, field):
    body = {k: (api_world.allowed.pk if v == "allowed" else v) for k, v in body.items()}
    response = post(api_client_for(api_world.editor), "generate/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert GenerationJob.objects.count() == 0


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


# --------------------------------------------------------------------------- throttling


def test_throttle_counts_accepted_jobs_and_sends_retry_after(api_world):
    client = api_client_for(api_world.editor)
    body = {"image": api_world.image.pk, "operation": "stylize-3"}
    with gan_override(API_THROTTLE_RATE="2/min"):
        assert post(client, "variants/", body).status_code == 202
        # refused input costs nothing
        for _ in range(3):
            assert post(client, "variants/", {**body, "operation": "nope"}).status_code == 400
        assert post(client, "variants/", body).status_code == 202
        third = post(client, "variants/", body)
        assert third.status_code == 429
        assert 1 <= int(third["Retry-After"]) <= 60
        assert "throttled" in third.json()["detail"].lower()
        # the limit is per user
        assert post(api_client_for(api_world.admin), "variants/", body).status_code == 202
        # and covers text-to-image too
        gen = post(client, "generate/", {"prompt": "a cat", "collection": api_world.allowed.pk})
        assert gen.status_code == 429
    assert GenerationJob.objects.filter(user=api_world.editor).count() == 2
    # GETs are not throttled
    assert client.get(API + "jobs/").status_code == 200


@pytest.mark.parametrize("rate", ["lots", "5/fortnight", "x/min", 30])
def test_invalid_throttle_rate_is_a_clear_configuration_error(rate):
    from django.core.exceptions import ImproperlyConfigured

    from wagtail_gan.api.throttling import GpuJobThrottle

    with gan_override(API_THROTTLE_RATE=rate), pytest.raises(ImproperlyConfigured, match="30/hour"):
        GpuJobThrottle()


def test_throttle_disabled_with_none(api_world):
    client = api_client_for(api_world.editor)
    with gan_override(API_THROTTLE_RATE=None):
        for _ in range(4):
            assert post(client, "variants/", {"image": api_world.image.pk,
                                              "operation": "stylize-1"}).status_code == 202


# --------------------------------------------------------------------------- idempotency


def test_idempotency_key_returns_the_same_job(api_world):
    client = api_client_for(api_world.editor)
    body = {"image": api_world.image.pk, "operation": "upscale-4x"}
    first = post(client, "variants/", body, HTTP_IDEMPOTENCY_KEY="req-123")
    second = post(client, "variants/", body, HTTP_IDEMPOTENCY_KEY="req-123")
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert GenerationJob.objects.count() == 1
    assert GenerationJob.objects.get().idempotency_key == "req-123"
    # another user with the same key gets their own job
    other = post(api_client_for(api_world.admin), "variants/", body,
                 HTTP_IDEMPOTENCY_KEY="req-123")
    assert other.json()["id"] != first.json()["id"]
    # a new key is a new job
    third = post(client, "variants/", body, HTTP_IDEMPOTENCY_KEY="req-124")
    assert third.json()["id"] not in (first.json()["id"], other.json()["id"])


def test_idempotent_replay_is_not_throttled(api_world):
    client = api_client_for(api_world.editor)
    body = {"prompt": "a red bicycle", "collection": api_world.allowed.pk}
    with gan_override(API_THROTTLE_RATE="1/hour"):
        first = post(client, "generate/", body, HTTP_IDEMPOTENCY_KEY="gen-1")
        again = post(client, "generate/", body, HTTP_IDEMPOTENCY_KEY="gen-1")
        fresh = post(client, "generate/", body, HTTP_IDEMPOTENCY_KEY="gen-2")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert fresh.status_code == 429
    assert GenerationJob.objects.count() == 1


def test_idempotency_key_reused_for_another_request_is_422(api_world):
    client = api_client_for(api_world.editor)
    post(client, "variants/", {"image": api_world.image.pk, "operation": "stylize-3"},
         HTTP_IDEMPOTENCY_KEY="k1")
    response = post(client, "variants/", {"image": api_world.style_image.pk,
                                          "operation": "stylize-3"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()
    response = post(client, "generate/", {"prompt": "a cat", "collection": api_world.allowed.pk},
                    HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert GenerationJob.objects.count() == 1


@pytest.mark.parametrize("key", ["x" * 256, "has space", "tab\there"])
def test_invalid_idempotency_key_is_400(api_world, key):
    response = post(api_client_for(api_world.editor), "variants/",
                    {"image": api_world.image.pk, "operation": "stylize-3"},
                    HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert GenerationJob.objects.count() == 0


# --------------------------------------------------------------------------- jobs


def _job(world, user, **fields):
    defaults = {"operation": "stylize-3", "source_image": world.image,
                "collection": world.allowed, "params": {"styles": [3]}}
    return GenerationJob.objects.create(user=user, **{**defaults, **fields})


def test_job_list_shows_own_jobs_and_all_for_superusers(api_world):
    mine = _job(api_world, api_world.editor)
    theirs = _job(api_world, api_world.viewer, status="failed", error="boom")
    editor = api_client_for(api_world.editor).get(API + "jobs/").json()
    assert editor["count"] == 1 and [j["id"] for j in editor["results"]] == [mine.pk]
    admin = api_client_for(api_world.admin).get(API + "jobs/").json()
    assert {j["id"] for j in admin["results"]} == {mine.pk, theirs.pk}
    failed = api_client_for(api_world.admin).get(API + "jobs/?status=failed").json()
    assert [j["id"] for j in failed["results"]] == [theirs.pk]
    assert failed["results"][0]["error"] == "boom"
    bad = api_client_for(api_world.admin).get(API + "jobs/?status=exploded")
    assert bad.status_code == 400 and "status" in bad.json()
    kind = api_client_for(api_world.admin).get(API + "jobs/?kind=generate").json()
    assert kind["count"] == 0


def test_job_list_paginates(api_world):
    for _ in range(3):
        _job(api_world, api_world.editor)
    page = api_client_for(api_world.editor).get(API + "jobs/?limit=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    page2 = api_client_for(api_world.editor).get(page["next"]).json()
    assert len(page2["results"]) == 1


def test_job_detail_visibility(api_world):
    job = _job(api_world, api_world.editor, progress=40, status="running")
    detail = api_client_for(api_world.editor).get(API + f"jobs/{job.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["progress"], body["operation"]) == ("running", 40, "stylize-3")
    assert body["source_image"] == api_world.image.pk and body["result_image"] is None
    assert body["uuid"] == str(job.uuid) and body["user"] == "editor"
    assert api_client_for(api_world.viewer).get(API + f"jobs/{job.pk}/").status_code == 404
    assert api_client_for(api_world.admin).get(API + f"jobs/{job.pk}/").status_code == 200
    assert api_client_for(api_world.editor).get(API + "jobs/987654/").status_code == 404
    huge = api_client_for(api_world.editor).get(API + f"jobs/{2**70}/")
    assert huge.status_code == 404


def test_cancel_queued_job(api_world):
    job = _job(api_world, api_world.editor)
    client = api_client_for(api_world.editor)
    assert api_client_for(api_world.viewer).delete(API + f"jobs/{job.pk}/").status_code == 404
    response = client.delete(API + f"jobs/{job.pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled"
    again = client.delete(API + f"jobs/{job.pk}/")
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]


def test_cancel_running_job_is_409(api_world):
    job = _job(api_world, api_world.editor, status="running")
    response = api_client_for(api_world.admin).delete(API + f"jobs/{job.pk}/")
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == "running"


def test_keep_without_output_is_400(api_world):
    job = _job(api_world, api_world.editor)
    response = api_client_for(api_world.editor).post(API + f"jobs/{job.pk}/keep/", {},
                                                     format="json")
    assert response.status_code == 400
    assert api_client_for(api_world.viewer).post(
        API + f"jobs/{job.pk}/keep/", {}, format="json").status_code == 404


def test_discard_queued_job_cancels_it(api_world):
    job = _job(api_world, api_world.editor)
    response = api_client_for(api_world.editor).post(API + f"jobs/{job.pk}/discard/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


# --------------------------------------------------------------------------- catalogue


def test_models_lists_registry_with_installed_state(api_world, tmp_path):
    from wagtail_gan.models_zoo import registry

    weights = tmp_path / "site_sr.safetensors"
    weights.write_bytes(b"not really weights")
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "dropped_x4.pth").write_bytes(b"x")
    with gan_override(MODELS_DIR=str(models_dir), MODELS={
        "site_sr": {"task": "upscale", "path": str(weights), "licence": "MIT", "scale": 2},
    }):
        response = api_client_for(api_world.editor).get(API + "models/")
        expected = {e.id: registry.is_installed(e) for e in registry.entries().values()}
    assert response.status_code == 200
    models = {m["id"]: m for m in response.json()}
    assert {k: m["installed"] for k, m in models.items()} == expected
    assert models["site_sr"]["installed"] is True
    assert models["site_sr"]["licence"] == "MIT" and models["site_sr"]["origin"] == "site"
    assert models["site_sr"]["source"] == f"file:{weights}"
    assert models["dropped_x4"]["origin"] == "dropin" and models["dropped_x4"]["installed"]
    esrgan = models["realesrgan_x4plus"]
    assert esrgan["task"] == "upscale" and esrgan["scale"] == 4
    assert esrgan["sha256"] == (
        "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1")
    assert "BSD" in esrgan["licence"] and esrgan["size"] == 67040989
    assert any(m["task"] == "stylize" for m in models.values())


def test_operations_lists_grammar_styles_and_limits(api_world):
    from wagtail_gan import operations
    from wagtail_gan.operations.stylize import NUM_STYLES

    with gan_override(MAX_INPUT_PIXELS=1000, API_THROTTLE_RATE="5/min",
                      ENABLED_OPERATIONS=["upscale", "stylize"]):
        body = api_client_for(api_world.editor).get(API + "operations/").json()
    ops = {o["name"]: o for o in body["operations"]}
    assert set(ops) == {"upscale", "winterize", "stylize", "edit", "generate", "removebg",
                        "erase", "expand", "restore", "vintage"}
    assert ops["upscale"]["enabled"] and not ops["winterize"]["enabled"]
    assert "upscale-4x" in ops["upscale"]["specs"]
    assert ops["upscale"]["available"] and ops["stylize"]["available"]  # the dummy backend
    assert ops["edit"]["variant"] and not ops["generate"]["variant"]
    assert len(body["styles"]) == NUM_STYLES == 26
    for style in body["styles"]:
        assert operations.parse_spec(style["spec"]).params == {"styles": [style["index"]]}
    assert body["painters"] == ["monet", "vangogh", "cezanne", "ukiyoe"]
    assert body["limits"]["max_input_pixels"] == 1000
    assert body["limits"]["throttle_rate"] == "5/min"
    assert body["limits"]["max_instruction_length"] == 500
    assert "realesrgan_x4plus" in body["upscale_models"]


# --------------------------------------------------------------------------- provenance


def test_image_variants_lists_provenance(api_world, make_image):
    result = make_image(title="Stylized", collection=api_world.allowed)
    hidden_result = make_image(title="Stylized hidden", collection=api_world.other)
    job = _job(api_world, api_world.editor, status="succeeded", result_image=result,
               model_id="styletransfer_multistyle26", model_sha256="ab" * 32, seed=3)
    Variant.objects.create(image=result, source_image=api_world.image, job=job,
                           operation="stylize-3", model_id="styletransfer_multistyle26",
                           model_sha256="ab" * 32, params={"styles": [3]}, seed=3,
                           user=api_world.editor, duration=0.2)
    Variant.objects.create(image=hidden_result, source_image=api_world.image,
                           operation="winterize", user=api_world.admin)
    client = api_client_for(api_world.editor)
    body = client.get(API + f"images/{api_world.image.pk}/variants/").json()
    assert body["count"] == 1
    variant = body["results"][0]
    assert variant["image"] == result.pk and variant["image_title"] == "Stylized"
    assert variant["source_image"] == api_world.image.pk
    assert variant["source_title"] == "Allowed photo"
    assert variant["job"] == str(job.uuid) and variant["user"] == "editor"
    assert (variant["operation"], variant["seed"], variant["params"]) == (
        "stylize-3", 3, {"styles": [3]})
    assert api_client_for(api_world.admin).get(
        API + f"images/{api_world.image.pk}/variants/").json()["count"] == 2
    assert client.get(API + f"images/{api_world.hidden_image.pk}/variants/").status_code == 404
    assert api_client_for(api_world.outsider).get(
        API + f"images/{api_world.image.pk}/variants/").status_code == 404
    # a job's detail carries the provenance of what it produced
    detail = client.get(API + f"jobs/{job.pk}/").json()
    assert detail["result_image"]["id"] == result.pk
    assert detail["result_image"]["renditions"]["thumbnail"].startswith("http://testserver/media/")
    assert [v["image"] for v in detail["variants"]] == [result.pk]


# --------------------------------------------------------------------------- schema


def test_schema_json_and_yaml(api_world):
    client = api_client_for(None)
    response = client.get(API + "schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/gan/variants/", "/api/gan/generate/", "/api/gan/jobs/", "/api/gan/jobs/{id}/",
        "/api/gan/jobs/{id}/keep/", "/api/gan/jobs/{id}/discard/",
        "/api/gan/jobs/{id}/outputs/{index}/",
        "/api/gan/images/{id}/variants/", "/api/gan/models/", "/api/gan/operations/",
        "/api/gan/video/interpolate/", "/api/gan/video/clips/", "/api/gan/video/jobs/{id}/",
        "/api/gan/models/{id}/{action}/", "/api/gan/models/tasks/{id}/", "/api/gan/models/{id}/pin/",
    }
    post_variants = schema["paths"]["/api/gan/variants/"]["post"]
    assert {"202", "400", "401", "403", "404", "422", "429"} <= set(post_variants["responses"])
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    yaml = client.get(API + "schema/")
    assert yaml.status_code == 200 and b"openapi: 3." in yaml.content


# --------------------------------------------------------------------------- a real job


def test_finished_job_round_trip(api_world):
    """Submit through the API, run the job (dummy backend), keep the output, and follow it
    through job detail and the image's variants."""

    client = api_client_for(api_world.editor)
    created = post(client, "variants/", {"image": api_world.image.pk,
                                         "operation": "stylize-3", "seed": 5})
    assert created.status_code == 202
    job_id = created.json()["id"]
    run_generation_job(job_id)
    detail = client.get(API + f"jobs/{job_id}/").json()
    assert detail["status"] == "succeeded", detail["error"]
    assert detail["progress"] == 100
    assert detail["model_id"] and len(detail["model_sha256"]) == 64
    assert len(detail["outputs"]) == 1
    output = detail["outputs"][0]
    assert (output["width"], output["height"]) == (48, 32)
    # private until kept: served by the API to the owner, not a media URL
    assert output["url"] == f"http://testserver/api/gan/jobs/{job_id}/outputs/0/"
    kept = client.post(API + f"jobs/{job_id}/keep/", {"index": 0}, format="json")
    assert kept.status_code == 200, kept.content
    result = kept.json()["result_image"]
    assert result["width"] == 48 and result["renditions"]["medium"]
    assert kept.json()["outputs"] == []
    variants = client.get(API + f"images/{api_world.image.pk}/variants/").json()["results"]
    assert [v["image"] for v in variants] == [result["id"]]
    assert variants[0]["model_sha256"] == detail["model_sha256"]
    # stylize is deterministic: the engine records no seed for it, and neither does provenance
    assert variants[0]["seed"] == output["seed"]


def test_job_list_query_count_does_not_grow_with_jobs(api_world, make_image):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for(api_world.editor)

    def add_finished_jobs(n):
        for i in range(n):
            result = make_image(title=f"Result {i}", collection=api_world.allowed)
            job = _job(api_world, api_world.editor, status="succeeded", result_image=result)
            Variant.objects.create(image=result, source_image=api_world.image, job=job,
                                   operation="stylize-3", user=api_world.editor)

    def count_queries():
        client.get(API + "jobs/")  # first call renders the renditions
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(API + "jobs/").json()
        assert all(j["result_image"]["renditions"]["thumbnail"] for j in body["results"])
        return len(ctx.captured_queries), body["count"]

    add_finished_jobs(2)
    few, count = count_queries()
    assert count == 2
    add_finished_jobs(4)
    many, count = count_queries()
    assert count == 6
    assert many == few
