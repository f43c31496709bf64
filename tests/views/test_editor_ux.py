"""The editor experience: operations whose model is missing, the review state in the jobs
listing, Cancel from the listing, queue position, human names, the Models page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.gan_admin_fixtures import write_pending_output
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob, ModelTask

pytestmark = pytest.mark.django_db


def login(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def variant_url(image):
    return reverse("wagtail_gan_admin:generate_variant", args=[image.pk])


@pytest.fixture
def missing_models(settings):
    """winterize, the free-form edit and text-to-image fall back to their built-in models,
    which a fresh install does not have."""
    gan_models_override(settings, {name: {**DUMMY_MODELS[name], "default_for": []}
                                   for name in ("dummy_winterize", "dummy_edit",
                                                "dummy_generate")})


def test_unavailable_operations_are_shown_greyed_out_and_refused(gan_world, missing_models):
    w = gan_world
    client = login(w.editor)
    html = client.get(reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    assert re.search(r'<option value="winterize" disabled>Winterize — not installed', html)
    assert re.search(r'<option value="upscale-2x">Upscale 2×</option>', html)
    note = html[html.index("data-gan-unavailable"):]
    note = note[:note.index("</div>")]
    assert "Winterize" in note and "Free-form edit" in note and "administrator" in note
    assert "Install models" not in note  # an editor cannot install: no link
    assert "Install models" in login(w.admin).get(
        reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    # chosen, or interpreted from the instruction: refused with a message, no job
    response = client.post(variant_url(w.image), {"operation": "winterize"})
    assert response.status_code == 400 and "an administrator must install" in \
        response.content.decode()
    response = client.post(variant_url(w.image), {"instruction": "add snow"})
    assert response.status_code == 400 and "“winterize” can’t run yet" in \
        response.content.decode()
    response = client.post(variant_url(w.image), {"instruction": "make the sky pink"})
    assert response.status_code == 400
    assert GenerationJob.objects.count() == 0
    # the interpretation says so before anything is submitted
    data = client.post(reverse("wagtail_gan_admin:interpret", args=[w.image.pk]),
                       {"instruction": "add snow"}).json()
    assert data["interpretation"]["available"] is False
    assert "administrator must install" in data["interpretation"]["unavailable"]
    assert data["form_values"] == {} and "models_url" not in data["interpretation"]
    data = client.post(reverse("wagtail_gan_admin:interpret", args=[w.image.pk]),
                       {"instruction": "upscale 2x"}).json()
    assert data["interpretation"]["available"] is True
    assert data["form_values"] == {"operation": "upscale-2x"}
    # what can run still runs
    assert client.post(variant_url(w.image), {"operation": "upscale-2x"}).status_code == 302
    # Generate new image: no menu item, the page explains, a POST creates nothing
    assert "Generate new image" not in client.get(reverse("wagtailadmin_home")).content.decode()
    url = reverse("wagtail_gan_admin:generate")
    assert "isn’t available yet" in client.get(url).content.decode()
    response = client.post(url, {"prompt": "a lighthouse", "collection": w.team.pk, "count": 1})
    assert response.status_code == 400 and GenerationJob.objects.count() == 1


def test_bulk_action_with_an_unavailable_operation_queues_nothing(gan_world, missing_models):
    w = gan_world
    client = login(w.admin)
    url = (reverse("wagtail_bulk_action", args=["wagtailimages", "image", "gan_generate_variant"])
           + f"?id={w.image.pk}&next=/admin/images/")
    html = client.get(url).content.decode()
    assert '<option value="upscale-2x" selected>' in html  # never pre-selects a missing one
    response = client.post(url, {"operation": "winterize"}, follow=True)
    html = response.content.decode()
    assert "0 variant jobs queued" not in html and GenerationJob.objects.count() == 0


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
    # the menu counts what waits for the user
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "AI jobs (1 to review)" in home and "?review=mine" in home


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


def test_over_long_instruction_has_one_error(gan_world):
    response = login(gan_world.editor).post(variant_url(gan_world.image),
                                            {"operation": "edit", "instruction": "x" * 501})
    html = response.content.decode()
    assert "at most 500 characters" in html and "needs an instruction" not in html
    assert "Describe the edit you want, or choose" not in html
    assert 'data-controller="gan-counter"' in html


def test_job_status_has_queue_position_and_estimate(gan_world):
    from datetime import timedelta

    from django.utils import timezone

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


def test_other_users_jobs_answer_404_like_missing_ones(gan_world):
    w = gan_world
    job = jobs.submit_variant_job(user=w.admin, image=w.image, operation="upscale-2x")
    client = login(w.editor)
    for name in ("job", "job_status"):
        assert client.get(reverse(f"wagtail_gan_admin:{name}", args=[job.pk])).status_code == 404
        assert client.get(reverse(f"wagtail_gan_admin:{name}", args=[job.pk + 99])
                          ).status_code == 404


def test_models_page_lists_models_and_queues_work(gan_world, settings):
    w = gan_world
    gan_models_override(settings, {
        "test_sr": {"task": "upscale", "family": "spandrel", "url": "http://127.0.0.1:9/tiny.pth",
                    "sha256": "0" * 64, "size": 2048, "licence": "MIT"},
        "test_hf": {"task": "edit", "family": "diffusion", "repo": "someone/model"},
    })
    url = reverse("wagtail_gan_admin:models")
    assert login(w.editor).get(url).status_code == 403
    client = login(w.admin)
    html = client.get(url).content.decode()
    assert "realesrgan_x4plus" in html and "test_sr" in html and "MIT" in html
    assert "http://127.0.0.1:9/tiny.pth" in html and "2.0\xa0KB" in html
    assert 'name="revision"' in html  # test_hf pins no revision: a field to pin one
    assert "Models" in client.get(reverse("wagtailadmin_home")).content.decode()
    action = reverse("wagtail_gan_admin:model_action", args=["test_sr", "install"])
    response = client.post(action, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    assert client.post(action, HTTP_ACCEPT="application/json").status_code == 409
    bad = client.post(reverse("wagtail_gan_admin:model_action", args=["test_hf", "install"]),
                      {"revision": "main"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "40-character" in bad.json()["error"]
    assert client.post(reverse("wagtail_gan_admin:model_action", args=["nope", "install"])
                       ).status_code == 404
    # the worker: no route to the source -> the exact error, kind "network"
    from wagtail_gan.models_admin.worker import run_model_task

    task = ModelTask.objects.get(model_id="test_sr")
    assert run_model_task(task.pk) == "failed"
    task.refresh_from_db()
    assert task.error_kind == "network" and "Download of http://127.0.0.1:9/tiny.pth" in task.message
    state = client.get(reverse("wagtail_gan_admin:models_status")).json()["models"]["test_sr"]
    assert state["installed"] is False and state["state"]["status"] == "failed"
    html = client.get(url).content.decode()
    assert "could not reach the source" in html
