"""REST API permissions mirror the admin's: who may make a variant of which image (hidden images
look missing), into which collection, and who may generate into which collection."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, api_client_for, post
from wagtail_gan.models import GenerationJob

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
