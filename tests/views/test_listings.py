"""The admin's jobs listing (filters, scoping, the source link, the review state, Cancel with its
CSRF token) and the AI images menu."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.gan_admin_fixtures import login, write_pending_output
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob

pytestmark = pytest.mark.django_db


def test_jobs_listing_filters_and_scoping(gan_world):
    w = gan_world
    a = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    b = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    GenerationJob.objects.filter(pk=b.pk).update(status="failed")
    c = jobs.submit_variant_job(user=w.admin, image=w.stock_image, operation="stylize-1",
                                collection=w.stock)
    url = reverse("wagtail_gan_jobs:index")
    html = login(w.editor).get(url).content.decode()
    job_link = "wagtail_gan_admin:job"
    assert reverse(job_link, args=[a.pk]) in html and reverse(job_link, args=[b.pk]) in html
    assert reverse(job_link, args=[c.pk]) not in html
    assert reverse("wagtail_gan_admin:job_cancel", args=[a.pk]) in html
    assert reverse("wagtail_gan_admin:job_cancel", args=[b.pk]) not in html
    admin = login(w.admin)
    html = admin.get(url).content.decode()
    assert all(reverse(job_link, args=[j.pk]) in html for j in (a, b, c))
    html = admin.get(url, {"status": "failed"}).content.decode()
    assert reverse(job_link, args=[b.pk]) in html and reverse(job_link, args=[a.pk]) not in html
    html = admin.get(url, {"operation": "stylize-1"}).content.decode()
    assert reverse(job_link, args=[c.pk]) in html and reverse(job_link, args=[a.pk]) not in html
    html = admin.get(url, {"user": w.editor.pk}).content.decode()
    assert reverse(job_link, args=[a.pk]) in html and reverse(job_link, args=[c.pk]) not in html
    # cancel from the listing returns to it
    response = login(w.editor).post(reverse("wagtail_gan_admin:job_cancel", args=[a.pk]),
                                    {"next": url + "?status=queued"})
    assert response["Location"] == url + "?status=queued"
    a.refresh_from_db()
    assert a.status == "cancelled"


def test_jobs_listing_links_the_source_image_while_it_exists(gan_world, make_image):
    w = gan_world
    doomed = make_image(title="Doomed source", collection=w.team)
    jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    gone = jobs.submit_variant_job(user=w.editor, image=doomed, operation="winterize")
    jobs.submit_generate_job(user=w.editor, prompt="a lighthouse at dusk", collection=w.team)
    url = reverse("wagtail_gan_jobs:index")
    html = login(w.editor).get(url).content.decode()
    edit_url = reverse("wagtailimages:edit", args=[w.image.pk])
    assert f'<a href="{edit_url}">{w.image.title}</a>' in html
    doomed_url = reverse("wagtailimages:edit", args=[doomed.pk])
    assert f'<a href="{doomed_url}">Doomed source</a>' in html
    assert "a lighthouse at dusk" in html  # the prompt of a text-to-image job, not a link
    assert '">a lighthouse at dusk</a>' not in html
    doomed.delete()
    gone.refresh_from_db()
    assert gone.source_image_id is None
    html = login(w.editor).get(url).content.decode()
    assert doomed_url not in html and "Doomed source" not in html
    assert f'<a href="{edit_url}">{w.image.title}</a>' in html


def test_listing_shows_review_state_and_filters_awaiting_my_review(gan_world):
    w = gan_world
    awaiting = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-7")
    write_pending_output(awaiting)
    kept = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    write_pending_output(kept)
    jobs.keep_job(kept, w.editor)
    discarded = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    write_pending_output(discarded)
    jobs.discard_job(discarded, w.editor)
    failed = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-4x")
    GenerationJob.objects.filter(pk=failed.pk).update(status="failed", progress=1)
    others = jobs.submit_variant_job(user=w.admin, image=w.image,
                                     operation=f"stylize-image{w.stock_image.pk}")
    write_pending_output(others)

    client = login(w.editor)
    url = reverse("wagtail_gan_jobs:index")
    html = client.get(url).content.decode()
    for label in ("Awaiting review", "Kept", "Discarded", "Failed"):
        assert label in html
    assert ">1 %<" not in html and "fauve style" in html
    # an editor's filters show nothing of other users' jobs
    assert f"stylize-image{w.stock_image.pk}" not in html and 'name="user"' not in html
    job_url = "wagtail_gan_admin:job"
    html = client.get(url, {"review": "mine"}).content.decode()
    assert reverse(job_url, args=[awaiting.pk]) in html
    assert all(reverse(job_url, args=[j.pk]) not in html for j in (kept, discarded, failed))
    html = login(w.admin).get(url, {"review": "mine"}).content.decode()
    assert reverse(job_url, args=[others.pk]) in html
    assert reverse(job_url, args=[awaiting.pk]) not in html
    html = login(w.admin).get(url, {"review": "kept"}).content.decode()
    assert reverse(job_url, args=[kept.pk]) in html and reverse(job_url, args=[awaiting.pk]) \
        not in html
    # the menu counts what waits for the user: the admin script fetches the number after the
    # page has loaded (no query on the page) and puts it on the items marked data-gan-menu
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "?review=mine" in home and "data-gan-menu" in home
    assert "Results to review (1)" not in home
    counts = client.get(reverse("wagtail_gan_admin:awaiting")).json()
    assert counts == {"count": 1, "labels": {"ai-images": "AI images (1)",
                                             "to-review": "Results to review (1)"}}


def test_listing_cancel_carries_the_csrf_token(gan_world):
    w = gan_world
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    client = login(w.editor, enforce_csrf_checks=True)
    url = reverse("wagtail_gan_jobs:index")
    html = client.get(url).content.decode()
    form = html[html.index(reverse("wagtail_gan_admin:job_cancel", args=[job.pk])):]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[:600]).group(1)
    response = client.post(reverse("wagtail_gan_admin:job_cancel", args=[job.pk]),
                           {"csrfmiddlewaretoken": token, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    job.refresh_from_db()
    assert job.status == "cancelled"
    # rows refreshed by the filters (results-only URL) return to the listing too
    job2 = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-4x")
    html = client.get(reverse("wagtail_gan_jobs:index_results")).content.decode()
    assert f'name="next" value="{url}"' in html and "csrfmiddlewaretoken" in html
    assert job2.status == "queued"


def test_menu_has_ai_images(gan_world):
    html = login(gan_world.editor).get(reverse("wagtailadmin_home")).content.decode()
    assert "AI images" in html and "Generate new image" in html
    assert reverse("wagtail_gan_jobs:index") in html
