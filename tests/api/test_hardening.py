"""Hardening found by probing the API: an atomic per-user throttle under concurrent requests,
strict digits in specs, deeply nested JSON, bodies that are not objects or too large, private
pending outputs, idempotency that compares the whole request. Every error is JSON."""

from __future__ import annotations

import threading

import pytest
from django.test import override_settings

from tests.api.fixtures import (  # noqa: F401 (fixtures)
    api_client_for,
    api_world_fixture,
    build_world,
    clear_throttle_cache_fixture,
)
from tests.api.test_api import API, gan_override, post
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob

# discard/ takes no body: it never reads one (and so never fails on one)
POST_PATHS = ["variants/", "generate/", "jobs/{job}/keep/"]


def finished_job(world) -> GenerationJob:
    response = post(api_client_for(world.editor), "variants/",
                    {"image": world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 202, response.content
    run_generation_job(response.json()["id"])
    return GenerationJob.objects.get(pk=response.json()["id"])


# --------------------------------------------------------------------------- 1. throttle race


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_never_pass_the_limit(make_image):
    """15 concurrent POSTs against 5/min: exactly 5 jobs, the others 429 (the count and the
    insert happen in one transaction with the user's row locked)."""
    world = build_world(make_image)
    barrier = threading.Barrier(15)
    codes = []

    def one(i):
        from django.db import connection

        try:
            client = api_client_for(world.editor)
            barrier.wait()
            codes.append(post(client, "variants/", {"image": world.image.pk,
                                                    "operation": f"stylize-{i % 26}"}).status_code)
        finally:
            connection.close()

    with gan_override(API_THROTTLE_RATE="5/min"):
        threads = [threading.Thread(target=one, args=(i,)) for i in range(15)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(codes) == [202] * 5 + [429] * 10, codes
    assert GenerationJob.objects.filter(user=world.editor).count() == 5


def test_admin_jobs_do_not_count_against_the_api_limit(api_world):
    from wagtail_gan import jobs

    with gan_override(API_THROTTLE_RATE="1/min"):
        jobs.submit_variant_job(user=api_world.editor, image=api_world.image,
                                operation="stylize-1")
        response = post(api_client_for(api_world.editor), "variants/",
                        {"image": api_world.image.pk, "operation": "stylize-2"})
    assert response.status_code == 202
    assert GenerationJob.objects.get(pk=response.json()["id"]).source == "api"


# --------------------------------------------------------------------------- 2. digits


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
    from wagtail.images.exceptions import InvalidFilterSpecError

    with pytest.raises(InvalidFilterSpecError):
        make_image().get_rendition(spec)


# --------------------------------------------------------------------------- 3./4. bodies


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


# --------------------------------------------------------------------------- 5. pending outputs


def test_pending_outputs_are_private(api_world, settings):
    from pathlib import Path

    job = finished_job(api_world)
    name = job.outputs[0]["name"]
    # not in the public media space
    assert not (Path(settings.MEDIA_ROOT) / name).exists()
    body = api_client_for(api_world.editor).get(API + f"jobs/{job.pk}/").json()
    url = body["outputs"][0]["url"]
    assert f"/api/gan/jobs/{job.pk}/outputs/0/" in url and "gan_pending" not in url
    owner = api_client_for(api_world.editor).get(url)
    assert owner.status_code == 200 and owner["Content-Type"].startswith("image/")
    assert owner["Cache-Control"] == "private, max-age=3600"
    assert b"".join(owner.streaming_content)[:2] in (b"\xff\xd8", b"\x89P")
    # other users (even with access to the image) and anonymous visitors get nothing
    assert api_client_for(api_world.viewer).get(url).status_code == 404
    assert api_client_for(None).get(url).status_code == 401
    assert api_client_for(api_world.editor).get(
        API + f"jobs/{job.pk}/outputs/5/").status_code == 404
    # kept: the library image is public as usual, the pending file is gone
    post(api_client_for(api_world.editor), f"jobs/{job.pk}/keep/", {"index": 0})
    assert api_client_for(api_world.editor).get(url).status_code == 404


# --------------------------------------------------------------------------- 7. idempotency


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
