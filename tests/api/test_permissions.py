"""REST API permissions mirror the admin's: who may make a variant of which image, into which
collection, and who may generate into which collection. What a user may not see (another
collection's image, a collection they may not add to, another user's job) answers exactly like
what does not exist: the same status and the same message."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, api_client_for, make_job, post
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


def same_answer(first, second, first_id, second_id) -> bool:
    """Two responses are the same answer: status, content type and body, once each request's
    own id is replaced by a placeholder (echoing the id the client sent discloses nothing)."""
    def norm(response, pk):
        return response.content.decode().replace(str(pk), "ID")

    return (first.status_code, first["Content-Type"], norm(first, first_id)) == (
        second.status_code, second["Content-Type"], norm(second, second_id))


MISSING = 999_999


def test_hidden_and_missing_images_answer_alike(api_world):
    client = api_client_for(api_world.editor)
    hidden_pk = api_world.hidden_image.pk

    def variant(pk):
        return post(client, "variants/", {"image": pk, "operation": "upscale-2x"})

    hidden, missing = variant(hidden_pk), variant(MISSING)
    assert hidden.status_code == 404 and "image" in hidden.json()
    assert same_answer(hidden, missing, hidden_pk, MISSING)
    assert "Other photo" not in hidden.content.decode()
    # a style image of another collection vs a missing one: the same 400
    hidden = post(client, "variants/", {"image": api_world.image.pk,
                                        "operation": f"stylize-image{hidden_pk}"})
    missing = post(client, "variants/", {"image": api_world.image.pk,
                                         "operation": f"stylize-image{MISSING}"})
    assert hidden.status_code == 400 and "operation" in hidden.json()
    assert same_answer(hidden, missing, hidden_pk, MISSING)
    # the image's variants
    hidden = client.get(f"{API}images/{hidden_pk}/variants/")
    missing = client.get(f"{API}images/{MISSING}/variants/")
    assert hidden.status_code == 404 and same_answer(hidden, missing, hidden_pk, MISSING)
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize("endpoint", ["variants/", "generate/"])
def test_others_and_missing_collections_answer_alike(api_world, endpoint):
    """A collection the user may not add to is refused exactly like one that does not exist
    (400, the same message): which collection ids exist is not theirs to learn."""
    client = api_client_for(api_world.editor)
    body = ({"image": api_world.image.pk, "operation": "stylize-3"} if endpoint == "variants/"
            else {"prompt": "a lighthouse at dusk"})
    other_pk = api_world.other.pk
    other = post(client, endpoint, {**body, "collection": other_pk})
    missing = post(client, endpoint, {**body, "collection": MISSING})
    assert other.status_code == 400 and "collection" in other.json()
    assert same_answer(other, missing, other_pk, MISSING)
    assert "Other" not in other.json()["collection"][0]
    assert GenerationJob.objects.count() == 0
    allowed = post(client, endpoint, {**body, "collection": api_world.allowed.pk})
    assert allowed.status_code == 202, allowed.content


def test_others_and_missing_jobs_answer_alike(api_world):
    job = make_job(api_world, api_world.editor)
    client = api_client_for(api_world.viewer)
    for path in ("jobs/{}/", "jobs/{}/outputs/0/"):
        other, missing = client.get(API + path.format(job.pk)), client.get(
            API + path.format(MISSING))
        assert other.status_code == 404 and same_answer(other, missing, job.pk, MISSING)
    for path in ("jobs/{}/keep/", "jobs/{}/discard/"):
        other, missing = post(client, path.format(job.pk), {}), post(
            client, path.format(MISSING), {})
        assert other.status_code == 404 and same_answer(other, missing, job.pk, MISSING)
    other, missing = client.delete(f"{API}jobs/{job.pk}/"), client.delete(f"{API}jobs/{MISSING}/")
    assert other.status_code == 404 and same_answer(other, missing, job.pk, MISSING)


@pytest.mark.parametrize("username,collection_attr,expected", [
    ("editor", "allowed", 202),
    # a collection one may not add to answers like a missing one (see above)
    ("editor", "other", 400),
    ("viewer", "allowed", 400),
    ("outsider", "allowed", 400),
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
