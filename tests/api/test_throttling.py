"""The per-user budget of jobs as the API answers it: accepted jobs count (refused input does
not), 429 with Retry-After, the rate setting, an atomic count under concurrent requests; admin
jobs count against the same budget (``work.budget``; the admin's side: tests/jobs/test_budget.py)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.api.helpers import API, api_client_for, build_world, post
from tests.utils import gan_override
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob
from wagtail_gan.work import budget


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
        assert "limit of 2 AI jobs per minute" in third.json()["detail"]
        # the limit is per user
        assert post(api_client_for(api_world.admin), "variants/", body).status_code == 202
        # and covers text-to-image too
        gen = post(client, "generate/", {"prompt": "a cat", "collection": api_world.allowed.pk})
        assert gen.status_code == 429
    assert GenerationJob.objects.filter(user=api_world.editor).count() == 2
    # GETs are not throttled
    assert client.get(API + "jobs/").status_code == 200


@pytest.mark.parametrize("rate", ["lots", "5/fortnight", "x/min", 30, "0/min", "-1/min",
                                  "\uff13/min", True])
@pytest.mark.parametrize("name", ["JOB_RATE", "API_THROTTLE_RATE"])
def test_invalid_rate_is_a_clear_configuration_error(rate, name):
    with gan_override(**{name: rate}), pytest.raises(ImproperlyConfigured, match=name):
        budget.rate()


def test_throttle_disabled_with_none(api_world):
    client = api_client_for(api_world.editor)
    with gan_override(API_THROTTLE_RATE=None):
        for _ in range(4):
            assert post(client, "variants/", {"image": api_world.image.pk,
                                              "operation": "stylize-1"}).status_code == 202


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_never_pass_the_limit(make_image):
    """16 concurrent POSTs against 5/min, half through the API and half through the admin's
    panel: exactly 5 jobs (the count and the insert happen in one transaction with the user's
    row locked); the others are 429 (API) or the form's error (admin)."""
    world = build_world(make_image)
    barrier = threading.Barrier(16)
    codes = {"api": [], "admin": []}

    def one(i):
        try:
            if i % 2:
                client = Client()
                client.force_login(world.editor)
                barrier.wait()
                response = client.post(
                    reverse("wagtail_gan_admin:generate_variant", args=[world.image.pk]),
                    {"operation": "upscale-2x"}, headers={"Accept": "application/json"})
                codes["admin"].append(response.status_code)
            else:
                client = api_client_for(world.editor)
                barrier.wait()
                codes["api"].append(post(client, "variants/", {
                    "image": world.image.pk, "operation": f"stylize-{i % 26}"}).status_code)
        finally:
            connection.close()

    with gan_override(JOB_RATE="5/min"):
        threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    made = GenerationJob.objects.filter(user=world.editor)
    assert made.count() == 5
    assert codes["api"].count(202) == made.filter(source="api").count(), codes
    assert codes["admin"].count(202) == made.filter(source="admin").count(), codes
    assert sorted(set(codes["api"]) - {202}) == [429] and set(codes["admin"]) <= {202, 400}


def test_admin_jobs_count_against_the_same_budget(api_world):
    """One budget across the admin and the API: 1/min used in the admin leaves the API 429."""
    with gan_override(JOB_RATE="1/min"):
        jobs.submit_variant_job(user=api_world.editor, image=api_world.image,
                                operation="stylize-1")
        response = post(api_client_for(api_world.editor), "variants/",
                        {"image": api_world.image.pk, "operation": "stylize-2"})
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert list(GenerationJob.objects.filter(user=api_world.editor)
                .values_list("source", flat=True)) == ["admin"]
