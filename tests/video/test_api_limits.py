"""The video API's limits: Idempotency-Key (replay, 422 on another request; one key space
with image jobs, both ways), the per-user budget of jobs shared with the image endpoints and
the admin, and DELETE video/jobs/{id}/ (cancel)."""

from __future__ import annotations

import pytest

from tests.api.helpers import API
from tests.utils import gan_override
from wagtail_gan.exceptions import IdempotencyConflict
from wagtail_gan.models import GenerationJob, VideoJob
from wagtail_gan.work import submit as work_submit


def post(client, path, data, **headers):
    return client.post(API + path, data, content_type="application/json", **headers)


def test_idempotency_key_replays_the_same_video_job(client, video_world):
    w = video_world
    client.force_login(w.editor)
    body = {"media": w.video.pk, "engine": "blend"}
    first = post(client, "video/interpolate/", body, HTTP_IDEMPOTENCY_KEY="v-1")
    # the same normalised request (factor 2 is the default) replays it
    again = post(client, "video/interpolate/", {**body, "factor": 2},
                 HTTP_IDEMPOTENCY_KEY="v-1")
    assert first.status_code == again.status_code == 202, first.content
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert first["Location"].endswith(f"/api/gan/video/jobs/{first.json()['id']}/")
    assert VideoJob.objects.get().idempotency_key == "v-1"
    # the same key for another request is refused, on either endpoint
    other = post(client, "video/interpolate/", {**body, "factor": 4},
                 HTTP_IDEMPOTENCY_KEY="v-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()
    clip = post(client, "video/clips/", {"images": [w.image.pk, w.image.pk],
                                         "engine": "blend"}, HTTP_IDEMPOTENCY_KEY="v-1")
    assert clip.status_code == 422
    # a key already used for an image job is another request too
    GenerationJob.objects.create(user=w.editor, operation="stylize-3", idempotency_key="i-1",
                                 request_fingerprint="x" * 64)
    assert post(client, "video/interpolate/", body,
                HTTP_IDEMPOTENCY_KEY="i-1").status_code == 422
    bad = post(client, "video/interpolate/", body, HTTP_IDEMPOTENCY_KEY="has space")
    assert bad.status_code == 400
    assert VideoJob.objects.count() == 1


def test_clip_idempotency(client, video_world):
    w = video_world
    client.force_login(w.editor)
    body = {"images": [w.image.pk, w.image.pk], "seconds": 1, "fps": 10, "hold": 0.2,
            "engine": "blend"}
    first = post(client, "video/clips/", body, HTTP_IDEMPOTENCY_KEY="c-1")
    again = post(client, "video/clips/", {**body, "seconds": 1.0}, HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == again.status_code == 202, first.content
    assert first.json()["id"] == again.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert post(client, "video/clips/", {**body, "fps": 12},
                HTTP_IDEMPOTENCY_KEY="c-1").status_code == 422


@pytest.mark.parametrize("path, body, field", [
    ("video/clips/", {"hold": 1e308}, "hold"),
    ("video/clips/", {"hold": True}, "hold"),
    ("video/clips/", {"seconds": "３"}, "seconds"),
    ("video/clips/", {"fps": True}, "fps"),
    ("video/clips/", {"fps": "١٠"}, "fps"),
    ("video/clips/", {"images": [True, True]}, "images"),
    ("video/clips/", {"title": "t" * 100_000}, "title"),
    ("video/interpolate/", {"media": True}, "media"),
    ("video/interpolate/", {"media": "１"}, "media"),
])
def test_strict_numbers_and_bounded_strings(client, video_world, path, body, field):
    w = video_world
    client.force_login(w.editor)
    base = ({"images": [w.image.pk, w.image.pk], "seconds": 2, "fps": 10, "engine": "blend"}
            if path == "video/clips/" else {"media": w.video.pk, "engine": "blend"})
    response = post(client, path, {**base, **body})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not VideoJob.objects.exists()


def test_throttle_counts_image_and_video_jobs_together(client, video_world):
    w = video_world
    client.force_login(w.editor)
    body = {"media": w.video.pk, "engine": "blend"}
    with gan_override(API_THROTTLE_RATE="2/min"):
        assert post(client, "variants/", {"image": w.image.pk,
                                          "operation": "stylize-3"}).status_code == 202
        # refused input costs nothing
        assert post(client, "video/interpolate/", {**body, "factor": 3}).status_code == 400
        first = post(client, "video/interpolate/", body, HTTP_IDEMPOTENCY_KEY="t-1")
        assert first.status_code == 202
        third = post(client, "video/clips/", {"images": [w.image.pk, w.image.pk],
                                              "engine": "blend"})
        assert third.status_code == 429 and 1 <= int(third["Retry-After"]) <= 60
        assert post(client, "variants/", {"image": w.image.pk,
                                          "operation": "stylize-3"}).status_code == 429
        # a replay is not a new job: not throttled
        replay = post(client, "video/interpolate/", body, HTTP_IDEMPOTENCY_KEY="t-1")
        assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"
    assert VideoJob.objects.count() == 1 and GenerationJob.objects.count() == 1
    # admin-page jobs count against the same budget (one per user: work.budget)
    with gan_override(JOB_RATE="3/min"):
        VideoJob.objects.update(source=VideoJob.Source.ADMIN)
        GenerationJob.objects.update(source=GenerationJob.Source.ADMIN)
        assert post(client, "video/interpolate/", body).status_code == 202
        assert post(client, "video/interpolate/", body).status_code == 429


def test_delete_cancels_a_queued_video_job(client, video_world):
    w = video_world
    client.force_login(w.editor)
    job_id = post(client, "video/interpolate/", {"media": w.video.pk,
                                                  "engine": "blend"}).json()["id"]
    url = f"{API}video/jobs/{job_id}/"
    client.force_login(w.viewer)
    assert client.delete(url).status_code == 404
    client.force_login(w.editor)
    response = client.delete(url)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client.delete(url)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert client.delete(f"{API}video/jobs/nope/").status_code == 404


def test_one_key_space_across_image_and_video_jobs(client, video_world):
    """A key names one request of one kind, both ways: an image job's key reused for a video
    job (or the reverse) is a 422, an invalid request with a used key too (as for image jobs),
    and a replay of each still answers its own job."""
    w = video_world
    client.force_login(w.editor)
    variant = {"image": w.image.pk, "operation": "stylize-3"}
    video = {"media": w.video.pk, "engine": "blend"}
    clip = {"images": [w.image.pk, w.image.pk], "engine": "blend"}
    # image first, then video
    assert post(client, "variants/", variant, HTTP_IDEMPOTENCY_KEY="x-1").status_code == 202
    for path, body in (("video/interpolate/", video), ("video/clips/", clip),
                       ("video/clips/", {**clip, "fps": 0})):
        again = post(client, path, body, HTTP_IDEMPOTENCY_KEY="x-1")
        assert again.status_code == 422 and "Idempotency-Key" in again.json(), again.content
    # video first, then image
    first = post(client, "video/interpolate/", video, HTTP_IDEMPOTENCY_KEY="y-1")
    assert first.status_code == 202
    for path, body in (("variants/", variant), ("variants/", {**variant, "operation": "explode"}),
                       ("generate/", {"prompt": "a cat", "collection": w.team.pk})):
        again = post(client, path, body, HTTP_IDEMPOTENCY_KEY="y-1")
        assert again.status_code == 422 and "Idempotency-Key" in again.json(), again.content
    # each replays its own job
    replay = post(client, "video/interpolate/", video, HTTP_IDEMPOTENCY_KEY="y-1")
    assert replay.status_code == 202 and replay.json()["id"] == first.json()["id"]
    assert post(client, "variants/", variant,
                HTTP_IDEMPOTENCY_KEY="x-1")["Idempotent-Replayed"] == "true"
    assert GenerationJob.objects.count() == 1 and VideoJob.objects.count() == 1
    # keys are per user: another user's same key is a new request
    client.force_login(w.admin)
    assert post(client, "variants/", variant, HTTP_IDEMPOTENCY_KEY="y-1").status_code == 202


def test_key_checked_again_inside_the_jobs_transaction(video_world):
    """The unique constraints are per table: a key taken meanwhile by a job of the other kind
    (a concurrent request) is still refused when the job row is created."""
    w = video_world
    VideoJob.objects.create(user=w.editor, kind=VideoJob.Kind.INTERPOLATE,
                            idempotency_key="race", request_fingerprint="v" * 64)
    with pytest.raises(IdempotencyConflict):
        work_submit.create(GenerationJob, user=w.editor, idempotency_key="race",
                           request_fingerprint="i" * 64, operation="stylize-3",
                           source_image=w.image)
    assert GenerationJob.objects.count() == 0
