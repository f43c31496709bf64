"""The one job lifecycle (``work.runner``) as a kind configures it: a failure that
``work.failures`` calls "retry" (a bug, a flaky disk) is shown at once by the editor's kind,
or re-queued once by a kind that says ``retry_failures``."""

from __future__ import annotations

import pytest

from wagtail_gan import jobs
from wagtail_gan.jobs.worker import GenerationKind, run_generation_job
from wagtail_gan.models import GenerationJob
from wagtail_gan.work import runner

pytestmark = pytest.mark.django_db


class RetryingKind(GenerationKind):
    retry_failures = True


def submit(world) -> GenerationJob:
    return jobs.submit_variant_job(user=world.editor, image=world.image, operation="stylize-3")


def test_unexpected_failures_are_shown_or_retried_once_as_the_kind_says(gan_world, slow_model):
    slow_model("stylize", crash="disk hiccup")
    shown = submit(gan_world)
    assert str(run_generation_job(shown.pk)) == "failed"
    shown.refresh_from_db()
    assert shown.error == "Unexpected error (RuntimeError): disk hiccup"
    assert shown.requeue_count == 0

    job = submit(gan_world)
    outcome = runner.run_job(RetryingKind(), job.pk)
    assert outcome.requeue == [job.pk]  # the task puts it on the queue again (tasks.act_on)
    job.refresh_from_db()
    assert (job.status, job.requeue_count, job.worker_id, job.error) == ("queued", 1, "", "")
    outcome = runner.run_job(RetryingKind(), job.pk)  # fails again: now the editor sees it
    assert str(outcome) == "failed" and outcome.requeue == []
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "Unexpected error (RuntimeError): disk hiccup"


def test_a_failure_the_user_can_fix_is_never_retried(gan_world, slow_model):
    slow_model("stylize", fail="The model is not installed.")
    job = submit(gan_world)
    outcome = runner.run_job(RetryingKind(), job.pk)
    assert str(outcome) == "failed" and outcome.requeue == []
    job.refresh_from_db()
    assert job.error == "The model is not installed." and job.requeue_count == 0
