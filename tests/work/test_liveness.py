"""Worker liveness (``work.liveness``): a job records the worker that claimed it, and a job
whose worker is dead is recovered at once - not after JOB_HEARTBEAT_TIMEOUT (editor jobs,
10 min) or RENDITION_STALE_SECONDS (renditions, 15 min)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from wagtail_gan import jobs, tasks
from wagtail_gan.checks import liveness_messages
from wagtail_gan.conf import DEFAULTS, gan_settings
from wagtail_gan.exceptions import JobError
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, RenditionJob, WorkerProcess
from wagtail_gan.renditions import sweeper as rendition_sweeper
from wagtail_gan.renditions.worker import run_rendition_job
from wagtail_gan.work import liveness, sweep

pytestmark = pytest.mark.django_db


def worker(name: str, seen_ago: float) -> str:
    WorkerProcess.objects.create(pk=name, hostname=name.split(":")[0], pid=1,
                                 last_seen=timezone.now() - timedelta(seconds=seen_ago))
    return name


def running_job(world, wid: str) -> GenerationJob:
    job = jobs.submit_variant_job(user=world.editor, image=world.image, operation="stylize-3")
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk).update(
        status="running", started_at=now, heartbeat_at=now, progress=40, worker_id=wid)
    job.refresh_from_db()
    return job


def running_rendition(make_image, wid: str) -> RenditionJob:
    image = make_image(width=40, height=30)
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get(image=image)
    RenditionJob.objects.filter(pk=job.pk).update(status="running", attempts=1, worker_id=wid)
    job.refresh_from_db()
    return job


def test_defaults_notice_a_dead_worker_within_about_a_minute():
    beat, dead = DEFAULTS["WORKER_HEARTBEAT_SECONDS"], DEFAULTS["WORKER_DEAD_AFTER"]
    assert dead >= 3 * beat  # three missed beats before a worker is declared dead
    # Live peers sweep on every beat: noticed within dead + beat seconds (< 1 minute).
    assert dead + beat <= 60
    assert DEFAULTS["JOB_HEARTBEAT_TIMEOUT"] > 60 and DEFAULTS["RENDITION_STALE_SECONDS"] > 60


@pytest.mark.django_db(transaction=True)  # the liveness thread has its own connection
def test_liveness_thread_beats_and_refreshes_in_flight_jobs(gan_world, settings):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "WORKER_HEARTBEAT_SECONDS": 0.1}
    wid = liveness.start()
    try:
        assert liveness.worker_id() == wid and liveness.start() == wid  # idempotent
        row = WorkerProcess.objects.get(pk=wid)
        job = running_job(gan_world, wid)
        old = timezone.now() - timedelta(hours=1)
        GenerationJob.objects.filter(pk=job.pk).update(heartbeat_at=old)
        with liveness.running(GenerationJob, job.pk, "heartbeat_at"):
            time.sleep(0.5)
        job.refresh_from_db()
        assert job.heartbeat_at > old + timedelta(minutes=59)  # kept fresh without progress
        assert WorkerProcess.objects.get(pk=wid).last_seen > row.last_seen
    finally:
        liveness.stop()
    assert liveness.worker_id() == ""


def test_dead_worker_fails_editor_job_and_requeues_rendition_at_once(gan_world, make_image):
    dead = worker("gone:11:aa", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1)
    alive = worker("here:12:bb", seen_ago=1)
    orphan, slow = running_job(gan_world, dead), running_job(gan_world, alive)
    r_orphan, r_slow = running_rendition(make_image, dead), running_rendition(make_image, alive)
    never_seen = running_job(gan_world, "never:13:cc")  # crashed before its first beat

    counts = tasks.sweep_renditions.call_local()

    assert counts["jobs_failed"] == 2 and counts["requeued"] == 1, counts
    for job in (orphan, never_seen):
        job.refresh_from_db()
        assert job.status == "failed" and "worker stopped" in job.error
    assert "worker gone:11" in orphan.error
    slow.refresh_from_db()
    assert slow.status == "running"  # a slow job on a live worker is left alone
    r_orphan.refresh_from_db()
    r_slow.refresh_from_db()
    assert r_orphan.status == "pending" and "worker gone:11 stopped" in r_orphan.error
    assert r_slow.status == "running"


def test_a_rendition_that_keeps_killing_its_worker_fails_after_max_attempts(make_image):
    dead = worker("gone:11:aa", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1)
    job = running_rendition(make_image, dead)
    RenditionJob.objects.filter(pk=job.pk).update(attempts=gan_settings.RENDITION_MAX_ATTEMPTS)
    outcome = rendition_sweeper.recover_lost()
    job.refresh_from_db()
    assert outcome.requeue == [] and job.status == "failed" and "gave up" in job.error


def test_owner_can_cancel_or_discard_a_running_job_whose_worker_died(gan_world):
    dead = worker("gone:11:aa", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1)
    alive = worker("here:12:bb", seen_ago=1)
    orphan, other_orphan, slow = (running_job(gan_world, dead), running_job(gan_world, dead),
                                  running_job(gan_world, alive))

    assert jobs.cancel_job(slow, gan_world.editor) is False
    with pytest.raises(JobError, match="running"):
        jobs.discard_job(slow, gan_world.editor)
    assert jobs.cancel_job(orphan, gan_world.editor) is True
    assert orphan.status == "cancelled" and "worker running it had stopped" in orphan.error
    jobs.discard_job(other_orphan, gan_world.editor)
    other_orphan.refresh_from_db()
    assert other_orphan.status == "cancelled" and other_orphan.outputs == []
    slow.refresh_from_db()
    assert slow.status == "running"
    # nothing left to recover
    assert sweep.recover_lost_jobs(GenerationJob).counts["jobs_failed"] == 0


@pytest.mark.django_db(transaction=True)
def test_claims_record_the_worker(gan_world, make_image, settings):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    run_generation_job(job.pk)  # outside a consumer: no worker recorded
    job.refresh_from_db()
    assert job.status == "succeeded" and job.worker_id == ""
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "WORKER_HEARTBEAT_SECONDS": 60}
    wid = liveness.start()
    try:
        image = make_image(width=40, height=30)
        image.get_rendition("stylize-3")
        rjob = RenditionJob.objects.get(image=image)
        run_rendition_job(rjob.pk)
        rjob.refresh_from_db()
        assert rjob.status == "done" and rjob.worker_id == wid
    finally:
        liveness.stop()


def test_old_worker_rows_are_pruned():
    worker("old:1:aa", seen_ago=8 * 24 * 3600)
    worker("recent:2:bb", seen_ago=3600)
    assert liveness.prune() == 1
    assert list(WorkerProcess.objects.values_list("pk", flat=True)) == ["recent:2:bb"]


def test_check_warns_when_workers_could_be_declared_dead_while_alive(settings):
    assert liveness_messages() == []
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "WORKER_HEARTBEAT_SECONDS": 10,
                            "WORKER_DEAD_AFTER": 15}
    assert [m.id for m in liveness_messages()] == ["wagtail_gan.W007"]
