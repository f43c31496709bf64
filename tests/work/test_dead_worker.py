"""A real ``run_huey`` consumer is SIGKILLed while it runs an editor job and a rendition job:
both are recovered within the liveness window (WORKER_DEAD_AFTER, shortened here), not after
JOB_HEARTBEAT_TIMEOUT / RENDITION_STALE_SECONDS (10 / 15 minutes, left at their defaults);
a slow job on a live worker is not failed."""

from __future__ import annotations

import json
import time

import pytest
from huey.contrib.djhuey import HUEY

from tests.utils import HueyConsumer, wait_for
from wagtail_gan import jobs, tasks
from wagtail_gan.conf import DEFAULTS
from wagtail_gan.models import GenerationJob, RenditionJob

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST = {"WORKER_HEARTBEAT_SECONDS": 0.3, "WORKER_DEAD_AFTER": 2}


@pytest.fixture
def fast_liveness(settings):
    """Short liveness intervals here and in the consumers; the old timeouts stay at their
    (10 / 15 minute) defaults, so a recovery within seconds is the liveness mechanism."""
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, **FAST}
    assert "JOB_HEARTBEAT_TIMEOUT" not in settings.WAGTAIL_GAN
    HUEY.flush()
    yield {"GAN_TEST_SETTINGS": json.dumps(FAST)}
    HUEY.flush()


def consumer(tmp_path, name, env, workers=2) -> HueyConsumer:
    worker = HueyConsumer(log_path=tmp_path / f"{name}.log", workers=workers, extra_env=env)
    worker.start()
    return worker


def test_sigkilled_worker_jobs_are_recovered_within_the_liveness_window(
    gan_world, make_image, tmp_path, slow_model, fast_liveness
):
    slow_model("stylize", delay=4)
    image = make_image(width=60, height=40)
    first = consumer(tmp_path, "first", fast_liveness)
    try:
        job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                      operation="stylize-3")
        image.get_rendition("stylize-5")
        rjob = RenditionJob.objects.get(image=image)
        wait_for(lambda: GenerationJob.objects.filter(pk=job.pk, status="running").exists()
                 and RenditionJob.objects.filter(pk=rjob.pk, status="running").exists(),
                 timeout=60, interval=0.01, message=first.log()[-2000:])
        first.kill()  # SIGKILL mid-job: both rows stay "running"
        killed_at = time.monotonic()
    finally:
        first.stop()
    job.refresh_from_db()
    assert job.status == "running" and job.worker_id
    # The owner cannot cancel it while the worker may still be alive...
    assert jobs.cancel_job(job, gan_world.editor) is False

    def recovered():
        counts = tasks.sweep_renditions.call_local()  # the periodic sweep
        job.refresh_from_db()
        rjob.refresh_from_db()
        return job.status == "failed" and rjob.status == "pending" and counts

    wait_for(recovered, timeout=30, interval=0.25)
    took = time.monotonic() - killed_at
    assert took < FAST["WORKER_DEAD_AFTER"] + 5, took
    assert took < DEFAULTS["JOB_HEARTBEAT_TIMEOUT"] / 10
    assert "worker stopped" in jobs.job_status(job)["error"]
    assert "stopped" in rjob.error and rjob.attempts == 1

    # The re-queued rendition runs on a fresh worker, once more.
    second = consumer(tmp_path, "second", fast_liveness, workers=1)
    try:
        wait_for(lambda: RenditionJob.objects.filter(pk=rjob.pk, status="done").exists(),
                 timeout=60, interval=0.1, message=second.log()[-2000:])
    finally:
        second.stop()
    rjob.refresh_from_db()
    assert rjob.attempts == 2 and type(image).objects.get(pk=image.pk).get_rendition(
        "stylize-5").file.name == rjob.result_name


def test_owner_cancels_a_job_of_a_killed_worker_at_once(
    gan_world, tmp_path, slow_model, fast_liveness
):
    slow_model("stylize", delay=4)
    first = consumer(tmp_path, "first", fast_liveness, workers=1)
    try:
        job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                      operation="stylize-3")
        wait_for(lambda: GenerationJob.objects.filter(pk=job.pk, status="running").exists(),
                 timeout=60, interval=0.01, message=first.log()[-2000:])
        first.kill()
    finally:
        first.stop()
    # No sweep has run: the owner's cancel notices the dead worker itself.
    wait_for(lambda: jobs.cancel_job(job, gan_world.editor), timeout=FAST["WORKER_DEAD_AFTER"] + 5,
             interval=0.25)
    assert job.status == "cancelled"


def test_slow_job_on_a_live_worker_is_not_failed(
    gan_world, make_image, tmp_path, slow_model, fast_liveness
):
    slow_model("stylize", delay=FAST["WORKER_DEAD_AFTER"] * 3)
    image = make_image(width=60, height=40)
    worker = consumer(tmp_path, "live", fast_liveness)
    try:
        job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                      operation="stylize-3")
        image.get_rendition("stylize-5")
        rjob = RenditionJob.objects.get(image=image)
        wait_for(lambda: RenditionJob.objects.filter(pk=rjob.pk, status="running").exists(),
                 timeout=60, interval=0.05, message=worker.log()[-2000:])
        deadline = time.monotonic() + FAST["WORKER_DEAD_AFTER"] * 2
        while time.monotonic() < deadline:  # sweep repeatedly while the model runs
            counts = tasks.sweep_renditions.call_local()
            assert counts["jobs_failed"] == 0 and counts["requeued"] == 0, counts
            assert jobs.cancel_job(job, gan_world.editor) is False
            time.sleep(0.5)
        wait_for(lambda: GenerationJob.objects.filter(pk=job.pk, status="succeeded").exists()
                 and RenditionJob.objects.filter(pk=rjob.pk, status="done").exists(),
                 timeout=60, interval=0.1, message=worker.log()[-2000:])
    finally:
        worker.stop()
    rjob.refresh_from_db()
    assert rjob.attempts == 1
