"""The one per-user budget of jobs (``work.budget``, ``JOB_RATE``) on every way in that is not
the API (whose 429 is tested in tests/api/test_throttling.py; the video pages in
tests/video/test_web.py): the variant panel, the text-to-image page, the bulk action,
proposals on upload; the wait it names, superusers, the deprecated ``API_THROTTLE_RATE``, and
the system checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.images import get_image_model

from tests.gan_admin_fixtures import login, variant_url
from tests.utils import gan_override, image_model_label
from wagtail_gan import jobs
from wagtail_gan.conf import DEFAULTS
from wagtail_gan.models import GenerationJob, VideoJob
from wagtail_gan.work import budget

pytestmark = pytest.mark.django_db


def test_variant_panel_refuses_over_the_budget_with_when_to_try_again(gan_world):
    client = login(gan_world.editor)
    with gan_override(JOB_RATE="2/min"):
        for spec in ("upscale-2x", "upscale-4x"):
            assert client.post(variant_url(gan_world.image), {"operation": spec}
                               ).status_code == 302
        page = client.post(variant_url(gan_world.image), {"operation": "upscale-2x"})
        assert page.status_code == 400
        html = page.content.decode()
        assert "You have reached the limit of 2 AI jobs per minute per user" in html
        assert "you can start another in" in html and " seconds." in html
        # the panel's JSON answer says the same, as a form error
        data = client.post(variant_url(gan_world.image), {"operation": "upscale-2x"},
                           headers={"Accept": "application/json"}).json()
        assert "limit of 2 AI jobs per minute" in data["errors"]["__all__"][0]["message"]
    assert GenerationJob.objects.filter(user=gan_world.editor).count() == 2


def test_generate_page_refuses_over_the_budget(gan_world):
    client = login(gan_world.editor)
    url = reverse("wagtail_gan_admin:generate")
    body = {"prompt": "a lighthouse", "collection": gan_world.team.pk, "count": "1"}
    with gan_override(JOB_RATE="1/hour"):
        assert client.post(url, body).status_code == 302
        page = client.post(url, body)
    assert page.status_code == 400
    assert "limit of 1 AI job per hour per user" in page.content.decode()
    assert GenerationJob.objects.count() == 1


def test_bulk_action_queues_up_to_the_budget_and_says_why_it_stopped(gan_world, make_image):
    w = gan_world
    more = [make_image(title=f"Photo {i}", collection=w.team) for i in range(3)]
    ids = "&".join(f"id={image.pk}" for image in [w.image, *more])
    url = (reverse("wagtail_bulk_action", args=(*image_model_label(), "gan_generate_variant"))
           + f"?{ids}&next=/admin/images/")
    with gan_override(JOB_RATE="2/min"):
        response = login(w.editor).post(url, {"operation": "upscale-2x"}, follow=True)
    html = response.content.decode()
    assert GenerationJob.objects.count() == 2
    assert "2 variant jobs queued" in html
    assert html.count("You have reached the limit of 2 AI jobs per minute") == 1


def test_proposals_on_upload_count_and_stop_at_the_budget(gan_world, make_image_file):
    Image = get_image_model()
    with gan_override(JOB_RATE="2/hour", IMPROVE_ON_UPLOAD=[{"spec": "stylize-2"}]):
        jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                operation="upscale-2x")
        for i in range(3):  # the first proposal fits; then the uploader is at the limit
            Image(title=f"Upload {i}", file=make_image_file(), collection=gan_world.team,
                  uploaded_by_user=gan_world.editor).save()
        assert Image.objects.filter(title="Upload 2").exists()  # the upload itself is fine
        with pytest.raises(budget.OverBudget):
            jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                    operation="stylize-4")
    assert sorted(GenerationJob.objects.values_list("source", flat=True)) == ["admin", "policy"]


def test_the_wait_is_until_the_oldest_counted_job_leaves_the_window(gan_world):
    editor = gan_world.editor
    for minutes_ago in (50, 10):
        job = jobs.submit_variant_job(user=editor, image=gan_world.image, operation="stylize-1")
        GenerationJob.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago))
    VideoJob.objects.create(user=editor, kind="stills", source="command")  # not counted
    with gan_override(JOB_RATE="2/hour"):
        with pytest.raises(budget.OverBudget) as refused:
            budget.admit(editor, "admin")
        assert 9 * 60 <= refused.value.retry_after <= 10 * 60 + 1
        assert "start another in 10 minutes" in str(refused.value)
        budget.admit(gan_world.viewer, "admin")  # per user
        budget.admit(editor, "command")  # commands are not limited
    with gan_override(JOB_RATE="3/hour"):
        budget.admit(editor, "api")
    with gan_override(JOB_RATE=None):  # disabled explicitly
        budget.admit(editor, "api")


def test_superusers_have_the_same_budget_unless_exempted(gan_world):
    submit = {"user": gan_world.admin, "image": gan_world.image, "operation": "stylize-1"}
    with gan_override(JOB_RATE="1/hour"):
        jobs.submit_variant_job(**submit)
        with pytest.raises(budget.OverBudget):
            jobs.submit_variant_job(**submit)
    with gan_override(JOB_RATE="1/hour", JOB_RATE_EXEMPT_SUPERUSERS=True):
        jobs.submit_variant_job(**submit)
        with pytest.raises(budget.OverBudget):  # only superusers
            for _ in range(2):
                jobs.submit_variant_job(**{**submit, "user": gan_world.editor})
    assert GenerationJob.objects.filter(user=gan_world.admin).count() == 2


def test_the_budget_is_never_unlimited_by_default(settings):
    configured = {k: v for k, v in (settings.WAGTAIL_GAN or {}).items()
                  if k not in ("JOB_RATE", "API_THROTTLE_RATE")}
    with override_settings(WAGTAIL_GAN=configured):
        assert budget.rate() == budget.Rate(30, 3600, "per hour", "30/hour")
        assert budget.setting_name() == "JOB_RATE"
    assert DEFAULTS["JOB_RATE_EXEMPT_SUPERUSERS"] is False


def test_api_throttle_rate_is_read_until_renamed_with_a_warning():
    def w009():
        return [m for m in run_checks() if m.id == "wagtail_gan.W009"]

    with gan_override(API_THROTTLE_RATE="5/min"):
        assert budget.rate().limit == 5
        assert "read as JOB_RATE" in w009()[0].msg
    with gan_override(API_THROTTLE_RATE="5/min", JOB_RATE="7/day"):
        assert (budget.rate().limit, budget.rate().seconds) == (7, 86400)
        assert "it is ignored" in w009()[0].msg
    with gan_override(API_THROTTLE_RATE=None):  # the old way of disabling the API throttle
        assert budget.rate() is None
    with gan_override(JOB_RATE="3/min"):
        assert not w009()


def test_a_malformed_rate_is_a_system_check_error():
    with gan_override(JOB_RATE="many/min"):
        errors = [m for m in run_checks() if m.id == "wagtail_gan.E005"]
    assert len(errors) == 1 and "'30/hour'" in errors[0].msg and "JOB_RATE" in errors[0].msg
