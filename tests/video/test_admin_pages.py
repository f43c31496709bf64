"""The admin's video job page: progress in frames (or what happens before the first frame),
parameters in words, the banner that fits the status (no "started" message after the job
ended), the finished video in an HTML5 player, human dates."""

from __future__ import annotations

from django.utils import timezone

from wagtail_gan.models import VideoJob


def test_job_page_follows_the_status(client, video_world):
    w = video_world
    client.force_login(w.editor)
    response = client.post(f"/admin/gan/video/interpolate/{w.video.pk}/",
                           {"factor": "2", "mode": "slowmo", "engine": "blend"}, follow=True)
    page = response.content.decode()
    job = VideoJob.objects.get()
    assert "Video job started" not in page  # the banner says what the job does now
    assert "The video job is queued" in page and "Waiting for a worker to start." in page
    assert "{&#x27;factor&#x27;" not in page and "{'factor'" not in page
    assert "Slow motion: same frame rate, longer" in page and "2×" in page
    assert "Cross-fade (no model)" in page and "0 / 0" not in page
    assert 'class="w-human-readable-date"' in page  # "x minutes ago", full date in a tooltip
    url = f"/admin/gan/video/jobs/{job.pk}/"

    VideoJob.objects.filter(pk=job.pk).update(status="running", frames_done=0, frames_total=0)
    state = client.get(url + "?format=json").json()
    assert state["frames_text"] == "Reading the source and planning the frames…"
    assert state["banner"]["level"] == "info" and state["status_label"] == "Running"
    VideoJob.objects.filter(pk=job.pk).update(frames_done=12, frames_total=24, progress=50)
    assert client.get(url + "?format=json").json()["frames_text"] == "12 of 24 frames"

    VideoJob.objects.filter(pk=job.pk).update(status="failed", error="The file is damaged.",
                                              finished_at=timezone.now())
    page = client.get(url).content.decode()
    assert "The video job failed" in page and "The file is damaged." in page
    assert "help-critical" in page and "The video job is queued" not in page


def test_finished_job_page_plays_the_video(client, video_world):
    w = video_world
    client.force_login(w.editor)
    job = VideoJob.objects.create(
        kind="interpolate", user=w.editor, source_media_id=w.video.pk,
        source_title=w.video.title, params={"factor": 4, "mode": "fps"}, engine="blend",
        status="succeeded", progress=100, frames_done=24, frames_total=24,
        result_media_id=w.video.pk, started_at=timezone.now(), finished_at=timezone.now())
    page = client.get(f"/admin/gan/video/jobs/{job.pk}/").content.decode()
    assert "<video controls" in page and w.video.file.url in page
    assert "The new video is in the media library." in page and "icon-success" in page
    assert "24 of 24 frames" in page and "Smoother: more frames per second" in page


def test_clip_page_without_variants_explains_and_offers_choosers(client, video_world, make_image):
    w = video_world
    other = make_image(title="Lighthouse", collection=w.team)
    client.force_login(w.editor)
    page = client.get(f"/admin/gan/video/clip/?image={w.image.pk}").content.decode()
    assert "has no kept variants yet" in page
    assert f'href="/admin/images/{w.image.pk}/#gan-panel"' in page  # generate variants first
    assert page.count('data-controller="gan-chooser"') == 4  # Wagtail's chooser, CSP-safe
    assert 'id="gan-clip-image-1"' in page and "<script>" not in page.split('id="main"')[1]
    response = client.post("/admin/gan/video/clip/", {
        "images": [w.image.pk, "", other.pk], "seconds": "2", "fps": "12", "hold": "0.5",
        "engine": "blend"})
    assert response.status_code == 302
    job = VideoJob.objects.get()
    assert [s["id"] for s in job.source_images] == [w.image.pk, other.pk]


def test_editors_are_not_shown_commands(client, video_world):
    w = video_world
    client.force_login(w.editor)
    page = client.get(f"/admin/gan/video/interpolate/{w.video.pk}/").content.decode()
    assert "not installed" in page  # the RIFE model is not installed in the tests
    assert "manage.py" not in page and "Ask an administrator to install it." in page
    client.force_login(w.admin)
    page = client.get(f"/admin/gan/video/interpolate/{w.video.pk}/").content.decode()
    assert "manage.py gan_models install" in page and "/admin/gan/models/" in page
