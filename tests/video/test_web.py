"""Admin pages and API endpoints of video (jobs are created; the worker is not run here)."""

from __future__ import annotations

import pytest

from tests.utils import gan_override
from wagtail_gan.models import GenerationJob, Variant, VideoJob


def test_interpolate_page_creates_a_job(client, video_world):
    client.force_login(video_world.editor)
    url = f"/admin/gan/video/interpolate/{video_world.video.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Slow motion" in page.content
    response = client.post(url, {"factor": "4", "mode": "slowmo", "engine": "blend"})
    job = VideoJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/gan/video/jobs/{job.pk}/")
    assert job.params == {"factor": 4, "mode": "slowmo"} and job.user == video_world.editor
    state = client.get(response.url + "?format=json").json()
    assert state["status"] == "queued" and state["frames_total"] == 0
    assert client.get(response.url).status_code == 200


def test_interpolate_page_refusal_is_shown(client, video_world):
    client.force_login(video_world.editor)
    response = client.post(f"/admin/gan/video/interpolate/{video_world.video.pk}/",
                           {"factor": "3", "engine": "blend"})
    assert response.status_code == 400 and b"factor must be 2 or 4" in response.content
    assert not VideoJob.objects.exists()


def test_video_pages_share_the_one_budget_of_jobs(client, video_world, make_image):
    """Video jobs count against the same per-user budget as image jobs (JOB_RATE): over it
    the pages say when one more can start, and nothing is created."""
    w = video_world
    client.force_login(w.editor)
    second = make_image(title="Second", collection=w.team)
    GenerationJob.objects.create(user=w.editor, source_image=w.image, operation="stylize-3")
    with gan_override(JOB_RATE="2/hour"):
        url = f"/admin/gan/video/interpolate/{w.video.pk}/"
        assert client.post(url, {"factor": "2", "engine": "blend"}).status_code == 302
        refused = client.post(url, {"factor": "2", "engine": "blend"})
        clip = client.post("/admin/gan/video/clip/", {
            "images": [w.image.pk, second.pk], "seconds": "2", "fps": "12", "engine": "blend"})
    for page in (refused, clip):
        assert page.status_code == 400
        assert b"You have reached the limit of 2 AI jobs per hour per user" in page.content
        assert b"you can start another in 60 minutes" in page.content
    assert VideoJob.objects.count() == 1


def test_clip_page_offers_the_image_and_its_variants(client, video_world, make_image):
    w = video_world
    variant = make_image(title="Harbour, stylized", collection=w.team)
    Variant.objects.create(image=variant, source_image=w.image, operation="stylize-3")
    client.force_login(w.editor)
    page = client.get(f"/admin/gan/video/clip/?image={w.image.pk}")
    assert b"Harbour, stylized" in page.content
    response = client.post("/admin/gan/video/clip/", {
        "images": [w.image.pk, variant.pk], "seconds": "2", "fps": "12", "hold": "0.5",
        "engine": "blend"})
    assert response.status_code == 302
    job = VideoJob.objects.get()
    assert [s["id"] for s in job.source_images] == [w.image.pk, variant.pk]


def test_admin_script_adds_the_buttons(client, video_world):
    client.force_login(video_world.editor)
    page = client.get(f"/admin/images/{video_world.image.pk}/")
    # rendered with the image panel (in the page's flow), not by the global script
    assert f'href="/admin/gan/video/clip/?image={video_world.image.pk}"'.encode() in page.content
    assert b"Make a clip" in page.content


@pytest.mark.urls("tests.video.urls")
def test_api_endpoints(client, video_world):
    w = video_world
    client.force_login(w.editor)
    r = client.post("/api/gan/video/interpolate/", {"media": w.video.pk, "factor": 2,
                                                    "engine": "blend"},
                    content_type="application/json")
    assert r.status_code == 202, r.content
    job_id = r.json()["id"]
    assert VideoJob.objects.get(pk=job_id).source == "api"
    assert client.get(f"/api/gan/video/jobs/{job_id}/").json()["status"] == "queued"
    r = client.post("/api/gan/video/clips/", {"images": [w.image.pk], "engine": "blend"},
                    content_type="application/json")
    assert r.status_code == 400 and "images" in r.json()
    r = client.post("/api/gan/video/interpolate/", {"media": w.video.pk, "factor": 2,
                                                    "engine": "blend"},
                    content_type="application/json")
    client.force_login(w.viewer)
    assert client.get(f"/api/gan/video/jobs/{job_id}/").status_code in (403, 404)
    assert client.get("/api/gan/video/nope/").status_code == 404
