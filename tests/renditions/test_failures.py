"""Rendition jobs that fail: the error recorded once and the page keeping its fallback, a missing
model in one line, transient errors retried with backoff (as Huey retries)."""

from __future__ import annotations

import pytest
from huey.exceptions import RetryTask

from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.renditions.helpers import fresh, render, run_job
from wagtail_gan import tasks
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import worker
from wagtail_gan.work.outcome import backoff_delay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def test_failure_is_recorded_and_page_keeps_fallback(make_image):
    image = make_image()
    html = render("{% image img width-20 stylize-image999999 %}", img=image)
    assert "<img" in html
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "999999 does not exist" in job.error
    # A stale duplicate message does not run a failed job again.
    assert run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.attempts == 1
    assert "<img" in render("{% image img width-20 stylize-image999999 %}", img=fresh(image))


def test_model_not_installed_waits_with_clear_message(make_image, settings):
    # winterize falls back to the built-in CycleGAN entry, not installed in the test run
    gan_models_override(settings, {"dummy_winterize": {**DUMMY_MODELS["dummy_winterize"],
                                                       "default_for": []}})
    image = make_image()
    image.get_rendition("winterize")
    job = RenditionJob.objects.get()
    # It waits for its model (issue 24.1; tests/work/test_waiting.py has the whole story).
    assert run_job(job.pk) == "waiting"
    job.refresh_from_db()
    assert job.waiting_for == "cyclegan_summer2winter_yosemite"
    assert job.error and "\n" not in job.error


def test_transient_error_retries_with_backoff(make_image, slow_model):
    slow_model("stylize", crash="CUDA out of memory")  # an unexpected error, not an EngineError
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    outcome = worker.run_rendition_job(job.pk)
    # The task raises Huey's RetryTask(delay=outcome.retry_in): the worker never enqueues.
    assert outcome.status == "pending" and outcome.retry_in == backoff_delay(1)
    job.refresh_from_db()
    assert "CUDA out of memory" in job.error and job.attempts == 1
    assert backoff_delay(1) < backoff_delay(2) < backoff_delay(3)
    for _ in range(2):
        run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "Gave up after 3 attempts" in job.error


def test_retry_outcome_becomes_a_huey_retry(make_image, slow_model):
    slow_model("stylize", crash="flaky disk")
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    with pytest.raises(RetryTask) as exc:
        tasks.generate_rendition.call_local(job.pk)
    assert exc.value.delay == backoff_delay(1)
