"""The admin's job pages: progress and what the job waits for, the queue position, review
(Keep/Discard beside the comparison, candidates of which one is kept), keep and the provenance page
with human names, discard and cancel, errors (failed jobs, corrupt sources, text-to-image), other
users' jobs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.gan_admin_fixtures import login, variant_url, write_pending_output
from wagtail_gan import jobs
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, Variant

pytestmark = pytest.mark.django_db


def test_job_pages_show_progress_review_actions_and_errors(gan_world):
    client = login(gan_world.editor)
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x")
    url = reverse("wagtail_gan_admin:job", args=[job.pk])
    html = client.get(url).content.decode()
    assert re.search(r'class="gan-progress__label"[^>]*aria-live="polite" >0 %', html)
    # coarse model progress: the page says what the job is waiting for (gan-admin.js adds the time)
    assert 'data-gan-job-target="hint"' in html and "waiting for a worker…" in html
    # finished: the Keep/Discard column sits beside the before/after comparison
    write_pending_output(job)
    html = client.get(url).content.decode()
    assert 'data-gan-job-target="hint"' not in html
    layout = html[html.index('class="gan-review__layout"'):]
    assert layout.index("gan-compare") < layout.index("data-gan-keep") < layout.index(
        "data-gan-discard")
    # failed: the error, no "1 %" left over from the run
    GenerationJob.objects.filter(pk=job.pk).update(status="failed", progress=1, outputs=[],
                                                   error="Model x is not installed")
    html = client.get(url).content.decode()
    assert "Model x is not installed" in html
    assert re.search(r'class="gan-progress__label"[^>]*hidden>1 %', html)


def test_job_status_has_queue_position_and_estimate(gan_world):
    w = gan_world
    now = timezone.now()
    for seconds in (80, 90, 100):  # recent upscales took about 90 s
        GenerationJob.objects.create(user=w.admin, operation="upscale-4x", status="succeeded",
                                     started_at=now - timedelta(seconds=seconds + 200),
                                     finished_at=now - timedelta(seconds=200))
    GenerationJob.objects.create(user=w.admin, operation="stylize-3", status="succeeded",
                                 started_at=now - timedelta(seconds=10),
                                 finished_at=now - timedelta(seconds=9.8))
    GenerationJob.objects.create(user=w.admin, operation="upscale-4x", status="running",
                                 created_at=now - timedelta(seconds=30),
                                 started_at=now - timedelta(seconds=30))
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-7")
    data = login(w.editor).get(reverse("wagtail_gan_admin:job_status", args=[job.pk])).json()
    queue = data["queue"]
    assert queue["position"] == 2 and queue["ahead"] == 1 and queue["running"] == 1
    assert 55 <= queue["wait_seconds"] <= 65 and queue["run_seconds"] == 0.2
    assert "Position 2 in the queue: 1 job ahead (upscaled 4×, running)" in data["queue_text"]
    assert "Starts in about 1 min" in data["queue_text"]
    html = login(w.editor).get(reverse("wagtail_gan_admin:job", args=[job.pk])).content.decode()
    assert "data-gan-queue" in html and "Position 2 in the queue" in html
    assert "stylize-7" in html and "fauve style" in html


def test_review_keep_and_provenance_pages(gan_world):
    w = gan_world
    client = login(w.editor)
    client.post(variant_url(w.image), {"instruction": "upscale 2x", "seed": "4"})
    job = GenerationJob.objects.get()
    write_pending_output(job, width=80, height=60)
    html = client.get(reverse("wagtail_gan_admin:job", args=[job.pk])).content.decode()
    output_url = reverse("wagtail_gan_admin:job_output", args=[job.pk, 0])
    assert output_url in html and "Before / after" in html and "data-gan-keep" in html
    assert "Interpreted as" in html and "upscale 2x" in html
    # the pending output is served to the owner only
    response = client.get(output_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert login(w.viewer).get(output_url).status_code == 404
    assert client.get(reverse("wagtail_gan_admin:job_output", args=[job.pk, 3])).status_code == 404
    # keep
    response = client.post(reverse("wagtail_gan_admin:job_keep", args=[job.pk]), {"index": "0"})
    variant = Variant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailimages:edit", args=[variant.image.pk])
    html = client.get(response["Location"]).content.decode()
    assert "Variant of" in html and "Harbour" in html and "upscale-2x" in html
    assert "data-gan-variant-of" in html
    html = client.get(reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    assert "gan-variants-heading" in html and variant.image.title in html


def test_kept_titles_and_provenance_use_human_names(gan_world):
    w = gan_world
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-7")
    write_pending_output(job)
    assert jobs.keep_job(job, w.editor).title == "Harbour — fauve style"
    style = w.image
    job = jobs.submit_variant_job(user=w.editor, image=w.image,
                                  operation=f"stylize-image{style.pk}")
    write_pending_output(job)
    image = jobs.keep_job(job, w.editor)
    assert image.title == "Harbour — in the style of Harbour"
    html = login(w.editor).get(reverse("wagtailimages:edit", args=[image.pk])).content.decode()
    banner = html[html.index("data-gan-variant-of"):]
    assert "in the style of Harbour" in banner and f"stylize-image{style.pk}" in banner
    # the editor changed the interpreted operation: the banner says so
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-8",
                                  instruction="make the sky pink")
    write_pending_output(job)
    image = jobs.keep_job(job, w.editor)
    html = login(w.editor).get(reverse("wagtailimages:edit", args=[image.pk])).content.decode()
    assert "free-form edit, changed by the editor to sketch style" in html


def test_candidates_page_says_only_one_is_kept(gan_world):
    job = jobs.submit_generate_job(user=gan_world.editor, prompt="a lighthouse",
                                   collection=gan_world.team, count=2)
    GenerationJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    write_pending_output(job)
    write_pending_output(job)
    client = login(gan_world.editor)
    html = client.get(f"/admin/gan/jobs/{job.pk}/").content.decode()
    assert "Keeping one adds it to the library and discards the others." in html
    assert "You keep one of them." in client.get("/admin/gan/generate/").content.decode()


def test_discard_and_cancel_views(gan_world):
    w = gan_world
    client = login(w.editor)
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    assert login(w.admin).post(reverse("wagtail_gan_admin:job_cancel", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    job2 = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    # another editor's job: 404, like a missing one (no enumeration)
    assert login(w.viewer).post(reverse("wagtail_gan_admin:job_cancel", args=[job2.pk])).status_code == 404
    assert login(w.viewer).get(reverse("wagtail_gan_admin:job", args=[job2.pk])).status_code == 404
    assert login(w.viewer).get(reverse("wagtail_gan_admin:job", args=[job2.pk + 1000])).status_code == 404
    write_pending_output(job2)
    response = client.post(reverse("wagtail_gan_admin:job_discard", args=[job2.pk]))
    assert response["Location"] == reverse("wagtailimages:edit", args=[w.image.pk])
    job2.refresh_from_db()
    assert job2.outputs == [] and job2.result_image is None
    assert "Discarded" in client.get(reverse("wagtail_gan_admin:job", args=[job2.pk])).content.decode()


def test_failed_job_shows_its_error(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="winterize")
    GenerationJob.objects.filter(pk=job.pk).update(
        status="failed", error="Model 'cyclegan-summer2winter' is not installed <b>x</b>")
    html = login(gan_world.editor).get(reverse("wagtail_gan_admin:job", args=[job.pk])).content.decode()
    assert "The job failed; the original image is unchanged." in html
    assert "is not installed &lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage"])
def test_a_job_whose_source_file_is_corrupt_fails_with_a_clear_message(gan_world, content):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    with gan_world.image.file.storage.open(gan_world.image.file.name, "wb") as fh:
        fh.write(content)
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert job.error.startswith("The file of “Harbour” cannot be read as an image")
    assert "Unexpected error" not in job.error
    html = login(gan_world.editor).get(f"/admin/gan/jobs/{job.pk}/").content.decode()
    assert "cannot be read as an image" in html


def test_a_failed_text_to_image_job_does_not_mention_an_original(gan_world):
    job = jobs.submit_generate_job(user=gan_world.editor, prompt="a lighthouse",
                                   collection=gan_world.team)
    GenerationJob.objects.filter(pk=job.pk).update(status="failed", error="Model sd_turbo is "
                                                   "not installed")
    html = login(gan_world.editor).get(f"/admin/gan/jobs/{job.pk}/").content.decode()
    assert "The job failed; nothing was added to the library." in html
    assert "original image" not in html


def test_other_users_jobs_answer_404_like_missing_ones(gan_world):
    w = gan_world
    job = jobs.submit_variant_job(user=w.admin, image=w.image, operation="upscale-2x")
    client = login(w.editor)
    for name in ("job", "job_status"):
        assert client.get(reverse(f"wagtail_gan_admin:{name}", args=[job.pk])).status_code == 404
        assert client.get(reverse(f"wagtail_gan_admin:{name}", args=[job.pk + 99])
                          ).status_code == 404


def test_job_page_has_no_inline_style_human_dates_and_described_images(gan_world):
    """A strict CSP (no inline style): the bar's width and the comparison's shape come from
    data-* attributes; dates read "x minutes ago" (full date in a tooltip); the before/after
    pictures say which image and which operation."""
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x")
    write_pending_output(job)
    html = login(gan_world.editor).get(reverse("wagtail_gan_admin:job", args=[job.pk])
                                       ).content.decode()
    main = html.split('id="main"')[1].split("</main>")[0]
    assert "style=" not in main
    assert 'data-gan-compare-width-value="80"' in main and 'data-progress="100"' in main
    assert 'class="w-human-readable-date"' in main
    assert 'alt="Before: Harbour"' in main and 'alt="After: Harbour, upscaled 2×"' in main
