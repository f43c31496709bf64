"""The AI jobs listing holds image and video jobs (Type filter, newest first across both, pages
that span both), bulk Keep/Discard with the single review's permission rules, and the
"Suggested improvements" menu entry only where IMPROVE_ON_UPLOAD is on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.gan_admin_fixtures import login, write_pending_output
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob, VideoJob

pytestmark = pytest.mark.django_db

INDEX = "wagtail_gan_jobs:index"


def video_job(user, **kwargs):
    fields = {"kind": VideoJob.Kind.INTERPOLATE, "user": user, "source_title": "Harbour clip",
              "params": {"factor": 2, "mode": "slowmo"}, "source_media_id": 1}
    fields.update(kwargs)
    return VideoJob.objects.create(**fields)


def bulk_url(action, *ids, next_url=""):
    url = reverse("wagtail_bulk_action", args=["wagtail_gan", "generationjob", action])
    query = "&".join(f"id={i}" for i in ids)
    return f"{url}?{query}&next={next_url}" if next_url else f"{url}?{query}"


def test_one_listing_for_image_and_video_jobs(gan_world):
    w = gan_world
    image_job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    mine = video_job(w.editor)
    theirs = video_job(w.admin, source_title="Not yours")
    client = login(w.editor)
    html = client.get(reverse(INDEX)).content.decode()
    video_link = reverse("wagtail_gan_video:job", args=[mine.pk])
    assert video_link in html and reverse("wagtail_gan_admin:job", args=[image_job.pk]) in html
    assert "Video: 2x slow motion" in html and "Harbour clip" in html
    assert reverse("wagtail_gan_video:job", args=[theirs.pk]) not in html
    # the AI images menu links to the video jobs (wagtailmedia is installed in the tests)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Video jobs" in home and reverse(INDEX) + "?type=video" in home
    # a queued video job can be cancelled from the listing
    assert reverse("wagtail_gan_video:job_cancel", args=[mine.pk]) in html
    html = client.get(reverse(INDEX), {"type": "video"}).content.decode()
    assert video_link in html
    assert reverse("wagtail_gan_admin:job", args=[image_job.pk]) not in html
    html = client.get(reverse(INDEX), {"type": "image"}).content.decode()
    assert video_link not in html
    assert reverse("wagtail_gan_admin:job", args=[image_job.pk]) in html
    # filters a video job has apply to it; those it has not exclude it
    VideoJob.objects.filter(pk=mine.pk).update(status="failed")
    assert video_link in client.get(reverse(INDEX), {"status": "failed"}).content.decode()
    assert video_link not in client.get(reverse(INDEX), {"status": "queued"}).content.decode()
    assert video_link not in client.get(reverse(INDEX), {"review": "mine"}).content.decode()
    # a superuser sees everyone's, and may filter by a user who only has video jobs
    admin_html = login(w.admin).get(reverse(INDEX), {"user": w.admin.pk}).content.decode()
    assert reverse("wagtail_gan_video:job", args=[theirs.pk]) in admin_html


def test_listing_pages_merge_both_kinds_newest_first(gan_world, settings):
    w = gan_world
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "JOB_RATE": None}  # 35 jobs at once
    now = timezone.now()
    made = []
    for i in range(35):  # alternating kinds, one minute apart: page 2 holds both kinds
        when = now - timedelta(minutes=i)
        if i % 2:
            made.append(video_job(w.editor, created_at=when))
        else:
            job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
            GenerationJob.objects.filter(pk=job.pk).update(created_at=when)
            made.append(job)
    client = login(w.editor)

    def links(html):
        found = []
        for job in made:
            name = "wagtail_gan_video:job" if isinstance(job, VideoJob) else "wagtail_gan_admin:job"
            url = f'href="{reverse(name, args=[job.pk])}"'
            if url in html:
                found.append((html.index(url), job))
        return [job for _, job in sorted(found, key=lambda pair: pair[0])]

    first = links(client.get(reverse(INDEX)).content.decode())
    second = links(client.get(reverse(INDEX), {"p": 2}).content.decode())
    assert first == made[:30] and second == made[30:]
    oldest = links(client.get(reverse(INDEX), {"ordering": "created_at"}).content.decode())
    assert oldest == list(reversed(made))[:30]


def test_bulk_keep_and_discard(gan_world):
    w = gan_world
    keep_a = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    keep_b = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    running = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-3")
    others = jobs.submit_variant_job(user=w.admin, image=w.image, operation="upscale-4x")
    for job in (keep_a, keep_b, others):
        write_pending_output(job)
    client = login(w.editor)
    listing = client.get(reverse(INDEX)).content.decode()
    assert "data-bulk-action-checkbox" in listing and "Keep" in listing
    assert bulk_url("gan_keep").split("?")[0] in listing

    confirm = client.get(bulk_url("gan_keep", keep_a.pk, running.pk, others.pk))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Keep this result?" in page  # only the one awaiting review is offered
    assert "Only the editor who started these jobs" in page  # the other user's job
    response = client.post(bulk_url("gan_keep", keep_a.pk, running.pk, others.pk,
                                    next_url=reverse(INDEX)))
    assert response.status_code == 302 and response["Location"] == reverse(INDEX)
    keep_a.refresh_from_db()
    others.refresh_from_db()
    running.refresh_from_db()
    assert keep_a.result_image_id is not None and others.result_image_id is None
    assert others.outputs and running.status == "queued"

    response = client.post(bulk_url("gan_discard", keep_b.pk, others.pk))
    assert response.status_code == 302
    keep_b.refresh_from_db()
    others.refresh_from_db()
    assert keep_b.outputs == [] and keep_b.result_image_id is None
    assert others.outputs  # not the editor's: untouched


def test_bulk_keep_leaves_several_candidates_to_the_job_page(gan_world):
    w = gan_world
    job = jobs.submit_generate_job(user=w.editor, prompt="a lighthouse", collection=w.team,
                                   count=2)
    write_pending_output(job)
    GenerationJob.objects.filter(pk=job.pk).update(outputs=job.outputs * 2)
    client = login(w.editor)
    response = client.post(bulk_url("gan_keep", job.pk), follow=True)
    job.refresh_from_db()
    assert job.result_image_id is None and len(job.outputs) == 2
    assert "choose one on its page" in response.content.decode()


def test_suggested_improvements_only_when_the_feature_is_on(gan_world, settings):
    client = login(gan_world.editor)
    assert "Suggested improvements" not in client.get(reverse("wagtailadmin_home")).content.decode()
    settings.WAGTAIL_GAN = {**getattr(settings, "WAGTAIL_GAN", {}),
                            "IMPROVE_ON_UPLOAD": [{"spec": "upscale-2x"}]}
    assert "Suggested improvements" in client.get(reverse("wagtailadmin_home")).content.decode()


def test_video_cancel_returns_to_the_listing_and_only_there(gan_world):
    w = gan_world
    job = video_job(w.editor)
    client = login(w.editor)
    url = reverse("wagtail_gan_video:job_cancel", args=[job.pk])
    response = client.post(url, {"next": reverse(INDEX) + "?type=video"})
    assert response["Location"] == reverse(INDEX) + "?type=video"
    job.refresh_from_db()
    assert job.status == "cancelled"
    other = video_job(w.editor)
    for evil in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(reverse("wagtail_gan_video:job_cancel", args=[other.pk]),
                               {"next": evil})
        assert response["Location"] == reverse("wagtail_gan_video:job", args=[other.pk])
