"""Generation jobs a dead worker left behind: the sweeper fails running jobs without a
heartbeat and re-queues (once) queued jobs whose queue message was lost."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tests.gan_admin_fixtures import write_pending_output
from tests.utils import HueyConsumer, wait_for
from wagtail_gan import jobs, tasks
from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs import worker as job_worker
from wagtail_gan.jobs.outputs import pending_storage
from wagtail_gan.models import GenerationJob
from wagtail_gan.work import sweep as work_sweep

pytestmark = pytest.mark.django_db

TIMEOUT = gan_settings.JOB_HEARTBEAT_TIMEOUT


def sweep(now=None) -> dict:
    """What the sweeper did (the periodic task re-queues ``Outcome.requeue``)."""
    return work_sweep.sweep_jobs(GenerationJob, now=now).counts


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def running_job(world, heartbeat_age: float, **fields) -> GenerationJob:
    job = jobs.submit_variant_job(user=world.editor, image=world.image, operation="stylize-3")
    beat = timezone.now() - timedelta(seconds=heartbeat_age)
    GenerationJob.objects.filter(pk=job.pk).update(
        status="running", started_at=beat, heartbeat_at=beat, progress=40, **fields
    )
    job.refresh_from_db()
    return job


def test_running_job_without_heartbeat_is_failed_visibly(gan_world):
    dead = running_job(gan_world, heartbeat_age=TIMEOUT + 5)
    alive = running_job(gan_world, heartbeat_age=TIMEOUT - 60)
    legacy = running_job(gan_world, heartbeat_age=TIMEOUT + 5)  # a row from before heartbeats
    GenerationJob.objects.filter(pk=legacy.pk).update(heartbeat_at=None)

    counts = sweep()

    assert counts == {"jobs_failed": 2, "jobs_requeued": 0}
    for job in (dead, legacy):
        job.refresh_from_db()
        status = jobs.job_status(job)
        assert status["status"] == "failed" and status["finished"]
        assert "worker stopped while running this job" in status["error"]
        assert f"over {TIMEOUT} seconds" in status["error"] and job.finished_at
    alive.refresh_from_db()
    assert alive.status == "running" and alive.error == ""
    # The next pass has nothing to do (failed is final).
    assert sweep() == {"jobs_failed": 0, "jobs_requeued": 0}


def test_failed_job_shows_the_error_on_the_admin_job_page(gan_world, client):
    job = running_job(gan_world, heartbeat_age=TIMEOUT + 5)
    sweep()
    client.force_login(gan_world.editor)
    response = client.get(reverse("wagtail_gan_admin:job_status", args=[job.pk]))
    assert response.status_code == 200
    assert "worker stopped while running this job" in response.json()["error"]
    page = client.get(reverse("wagtail_gan_admin:job", args=[job.pk]))
    assert page.status_code == 200
    assert "worker stopped while running this job" in page.content.decode()


def test_heartbeat_setting_is_honoured(gan_world):
    job = running_job(gan_world, heartbeat_age=90)
    assert sweep()["jobs_failed"] == 0
    with override_settings(WAGTAIL_GAN={"JOB_HEARTBEAT_TIMEOUT": 60}):
        assert sweep()["jobs_failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "over 60 seconds" in job.error


def test_progress_callback_beats_and_keeps_a_long_run_alive(gan_world):
    job = running_job(gan_world, heartbeat_age=TIMEOUT - 1)
    progress = job_worker.progress_reporter(job.pk)
    progress.last_beat -= progress.interval  # the interval has passed since the last beat
    progress(0.5)
    job.refresh_from_db()
    assert job.progress == 50
    assert (timezone.now() - job.heartbeat_at).total_seconds() < 5
    assert sweep(now=later(TIMEOUT - 10))["jobs_failed"] == 0
    # No second beat within the interval (one write per interval, not per tile).
    before = job.heartbeat_at
    progress(0.6)
    job.refresh_from_db()
    assert job.heartbeat_at == before
    with override_settings(WAGTAIL_GAN={"JOB_HEARTBEAT_TIMEOUT": 8}):
        assert job_worker.progress_reporter(job.pk).interval == 2


def test_claim_sets_the_heartbeat(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.heartbeat_at >= job.started_at
    assert sweep(now=later(TIMEOUT * 10))["jobs_failed"] == 0


def test_a_late_result_of_a_swept_job_is_discarded(gan_world, monkeypatch):
    """The worker was only slow (no progress callbacks): the sweeper failed the job meanwhile.
    Its late result must not flip the job back, and leaves no files behind."""
    real_reporter = job_worker.progress_reporter
    swept = []

    def reporter_that_sweeps(job_id):
        report = real_reporter(job_id)

        def progress(fraction):  # the model reports progress; the sweeper runs meanwhile
            report(fraction)
            if not swept:
                swept.append(sweep(now=later(TIMEOUT + 5))["jobs_failed"])

        return progress

    monkeypatch.setattr(job_worker, "progress_reporter", reporter_that_sweeps)
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert swept == [1]
    assert job.status == "failed" and job.outputs == []
    assert "worker stopped" in job.error
    storage = pending_storage()
    _, files = storage.listdir(jobs.PENDING_DIR) if storage.exists(jobs.PENDING_DIR) else ([], [])
    assert not [f for f in files if f.startswith(job.uuid.hex)]


def test_lost_queued_job_is_requeued_once_then_failed(gan_world, django_capture_on_commit_callbacks):
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                      operation="stylize-3")
    HUEY.flush()  # the queue lost the message (e.g. Redis restarted without persistence)
    queue_timeout = gan_settings.JOB_QUEUE_TIMEOUT

    assert sweep(now=later(queue_timeout - 60))["jobs_requeued"] == 0
    outcome = work_sweep.sweep_jobs(GenerationJob, now=later(queue_timeout + 1))
    assert outcome.counts == {"jobs_failed": 0, "jobs_requeued": 1}
    assert outcome.requeue == [job.pk]
    tasks.act_on(outcome, tasks.enqueue_generation)  # what the periodic task does with it
    job.refresh_from_db()
    assert job.status == "queued" and job.requeue_count == 1
    pending = HUEY.pending()
    assert [t.id for t in pending] == [job.task_id] and pending[0].args == (job.pk,)
    assert pending[0].priority == tasks.priority_for("interactive")
    # Its clock restarted: the same pass again does nothing.
    assert sweep(now=later(queue_timeout + 1))["jobs_requeued"] == 0
    HUEY.flush()
    # Lost again: failed, with a message that points at the worker.
    counts = sweep(now=later(2 * queue_timeout + 10))
    assert counts == {"jobs_failed": 1, "jobs_requeued": 0}
    job.refresh_from_db()
    assert job.status == "failed" and "manage.py run_huey" in job.error
    assert not HUEY.pending()


def test_requeued_job_runs_once_even_with_the_original_message_still_there(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    sweep(now=later(gan_settings.JOB_QUEUE_TIMEOUT + 1))
    job_worker.run_generation_job(job.pk)  # the re-queued message
    job_worker.run_generation_job(job.pk)  # the original one, delivered late
    job.refresh_from_db()
    assert job.status == "succeeded" and len(job.outputs) == 1


def test_finished_and_cancelled_jobs_are_left_alone(gan_world):
    done = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                   operation="stylize-3")
    write_pending_output(done)
    cancelled = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                        operation="stylize-2")
    jobs.cancel_job(cancelled, gan_world.editor)
    old = timezone.now() - timedelta(days=3)
    GenerationJob.objects.update(created_at=old, started_at=old, heartbeat_at=old)
    assert sweep() == {"jobs_failed": 0, "jobs_requeued": 0}
    assert set(GenerationJob.objects.values_list("status", flat=True)) == {"succeeded",
                                                                          "cancelled"}


def test_periodic_task_and_command_run_both_sweepers(gan_world):
    running_job(gan_world, heartbeat_age=TIMEOUT + 5)
    counts = tasks.sweep_renditions.call_local()
    assert counts["jobs_failed"] == 1 and "requeued" in counts
    out = io.StringIO()
    call_command("gan_sweep", stdout=out)
    assert "jobs_failed: 0" in out.getvalue() and "requeued: 0" in out.getvalue()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkilled_worker_mid_job_is_recovered(gan_world, make_image, tmp_path, slow_model):
    """A real consumer is SIGKILLed while the model runs: the row stays "running" until the
    sweeper fails it with an error the editor sees. A job queued while no worker ran and
    whose message was lost is re-queued and run by the restarted worker."""
    HUEY.flush()
    slow_model("stylize", delay=3)  # a model run long enough to be killed in
    big = make_image(title="Big", collection=gan_world.team, width=120, height=90)
    consumer = HueyConsumer(log_path=tmp_path / "consumer.log")
    consumer.start()
    try:
        job = jobs.submit_variant_job(user=gan_world.editor, image=big, operation="stylize-3")
        wait_for(lambda: GenerationJob.objects.filter(pk=job.pk, status="running").exists(),
                 timeout=120, interval=0.005, message=consumer.log()[-2000:])
        consumer.kill()
    finally:
        consumer.stop()
    job.refresh_from_db()
    assert job.status == "running" and job.heartbeat_at
    lost = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                   operation="stylize-4")
    HUEY.flush()  # no worker, and the message is gone

    assert sweep() == {"jobs_failed": 0, "jobs_requeued": 0}
    outcome = work_sweep.sweep_jobs(
        GenerationJob, now=later(max(TIMEOUT, gan_settings.JOB_QUEUE_TIMEOUT) + 1)
    )
    assert outcome.counts == {"jobs_failed": 1, "jobs_requeued": 1}
    tasks.act_on(outcome, tasks.enqueue_generation)
    job.refresh_from_db()
    status = jobs.job_status(job)
    assert status["status"] == "failed" and "worker stopped" in status["error"]
    assert status["outputs"] == [] and status["result_image_id"] is None

    restarted = HueyConsumer(log_path=tmp_path / "restarted.log")
    restarted.start()
    try:
        def finished():
            lost.refresh_from_db()
            return not lost.is_active

        wait_for(finished, timeout=120, message=restarted.log()[-2000:])
    finally:
        restarted.stop()
    assert lost.status == "succeeded" and lost.requeue_count == 1, lost.error
    job.refresh_from_db()
    assert job.status == "failed"  # the worker never re-runs a job the sweeper failed
