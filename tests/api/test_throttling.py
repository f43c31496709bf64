"""The API's per-user throttle of GPU jobs: accepted jobs count (refused input does not),
Retry-After, the rate setting, an atomic count under concurrent requests; admin jobs do not
count."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from tests.api.helpers import API, api_client_for, build_world, post
from tests.utils import gan_override
from wagtail_gan import jobs
from wagtail_gan.api.throttling import GpuJobThrottle
from wagtail_gan.models import GenerationJob


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
    with gan_override(API_THROTTLE_RATE=rate), pytest.raises(ImproperlyConfigured, match="30/hour"):
        GpuJobThrottle()


def test_throttle_disabled_with_none(api_world):
    client = api_client_for(api_world.editor)
    with gan_override(API_THROTTLE_RATE=None):
        for _ in range(4):
            assert post(client, "variants/", {"image": api_world.image.pk,
                                              "operation": "stylize-1"}).status_code == 202


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_never_pass_the_limit(make_image):
    """15 concurrent POSTs against 5/min: exactly 5 jobs, the others 429 (the count and the
    insert happen in one transaction with the user's row locked)."""
    world = build_world(make_image)
    barrier = threading.Barrier(15)
    codes = []

    def one(i):
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
    with gan_override(API_THROTTLE_RATE="1/min"):
        jobs.submit_variant_job(user=api_world.editor, image=api_world.image,
                                operation="stylize-1")
        response = post(api_client_for(api_world.editor), "variants/",
                        {"image": api_world.image.pk, "operation": "stylize-2"})
    assert response.status_code == 202
    assert GenerationJob.objects.get(pk=response.json()["id"]).source == "api"
