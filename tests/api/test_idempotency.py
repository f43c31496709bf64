"""Idempotency-Key: the same key and request replay the job (not throttled); the same key for
another request (the whole request compared) is 422; bad keys are 400."""

from __future__ import annotations

import pytest

from tests.api.helpers import api_client_for, post
from tests.utils import gan_override
from wagtail_gan.models import GenerationJob


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


@pytest.mark.parametrize("change", [
    {"operation": "stylize-4"},
    {"operation": None, "instruction": "make it snowy"},
    {"strength": 0.5},
    {"seed": 9},
])
def test_same_key_for_another_variant_request_is_422(api_world, change):
    client = api_client_for(api_world.editor)
    base = {"image": api_world.image.pk, "operation": "stylize-3"}
    assert post(client, "variants/", base, HTTP_IDEMPOTENCY_KEY="k").status_code == 202
    body = {k: v for k, v in {**base, **change}.items() if v is not None}
    response = post(client, "variants/", body, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422 and "Idempotency-Key" in response.json()
    replay = post(client, "variants/", base, HTTP_IDEMPOTENCY_KEY="k")
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"
    assert GenerationJob.objects.count() == 1


def test_same_key_for_another_prompt_is_422(api_world):
    client = api_client_for(api_world.editor)
    body = {"prompt": "a red bicycle", "collection": api_world.allowed.pk}
    assert post(client, "generate/", body, HTTP_IDEMPOTENCY_KEY="g").status_code == 202
    other = post(client, "generate/", {**body, "prompt": "a blue bicycle"},
                 HTTP_IDEMPOTENCY_KEY="g")
    assert other.status_code == 422
    assert post(client, "generate/", {**body, "count": 2},
                HTTP_IDEMPOTENCY_KEY="g").status_code == 422
