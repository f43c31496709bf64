"""Video jobs and dead workers (``work.sweep``), cancelling (admin page and worker side),
and late results of cancelled/failed jobs (no media item left behind)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtailmedia.models import get_media_model

from wagtail_gan import tasks
from wagtail_gan.conf import gan_settings
from wagtail_gan.models import VideoJob, WorkerProcess
from wagtail_gan.video import library
from wagtail_gan.video import worker as video_worker
from wagtail_gan.video.submit import cancel_job, submit_interpolate_job
from wagtail_gan.work import liveness, sweep


def worker(name: str, seen_ago: float) -> str:
    WorkerProcess.objects.create(pk=name, hostname=name.split(":")[0], pid=1,
                                 last_seen=timezone.now() - timedelta(seconds=seen_ago))
    return name


def video_job(world, **state) -> VideoJob:
    job = submit_interpolate_job(user=world.editor, media=world.video, engine="blend")
    if state:
        VideoJob.objects.filter(pk=job.pk).update(**state)
    job.refresh_from_db()
    return job


def running(world, wid="", started_ago=0.0, beat_ago=0.0) -> VideoJob:
    now = timezone.now()
    return video_job(world, status="running", worker_id=wid, progress=40,
                     started_at=now - timedelta(seconds=started_ago),
                     heartbeat_at=now - timedelta(seconds=beat_ago))


def media_count():
    return get_media_model().objects.count()


def test_sweeper_fails_lost_jobs_never_a_slow_one_on_a_live_worker(video_world):
    w = video_world
    dead = worker("gone:11:aa", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1)
    alive = worker("here:12:bb", seen_ago=1)
    hour = 3600
    of_dead = running(w, dead)
    silent = running(w, "", started_ago=hour, beat_ago=gan_settings.JOB_HEARTBEAT_TIMEOUT + 1)
    slow = running(w, alive, started_ago=hour)  # hours in, its worker keeps it beating
    counts = tasks.sweep_renditions.call_local()
    assert counts["video_failed"] == 2
    for job in (of_dead, silent, slow):
        job.refresh_from_db()
    assert of_dead.status == "failed" and "worker gone:11" in of_dead.error
    assert "Nothing was added to the library" in of_dead.error
    assert silent.status == "failed" and "no sign of life" in silent.error
    assert slow.status == "running" and slow.error == ""


def test_live_beats_fail_a_dead_peers_video_job_at_once(video_world):
    dead = worker("gone:13:cc", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1)
    job = running(video_world, dead)
    assert tasks.recover_dead_workers()["video_failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed"


def test_queued_job_nobody_took_is_requeued_once_then_failed(video_world, monkeypatch):
    requeued = []
    monkeypatch.setattr(tasks, "enqueue_video", lambda job_id, **kw: requeued.append(job_id))
    old = timezone.now() - timedelta(seconds=gan_settings.JOB_QUEUE_TIMEOUT + 1)
    job = video_job(video_world, created_at=old)
    fresh = video_job(video_world)
    assert tasks.sweep_renditions.call_local()["video_requeued"] == 1
    assert requeued == [job.pk]
    job.refresh_from_db()
    assert job.status == "queued" and job.requeue_count == 1
    assert sweep.sweep_jobs(VideoJob).counts["video_failed"] == 0  # not again at once
    later = timezone.now() + timedelta(seconds=gan_settings.JOB_QUEUE_TIMEOUT + 1)
    outcome = sweep.sweep_jobs(VideoJob, now=later)
    assert outcome.requeue == [fresh.pk] and outcome.counts["video_failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "No worker picked this video job up" in job.error
    fresh.refresh_from_db()
    assert fresh.status == "queued"  # its first wait was over: re-queued, not failed


def test_worker_records_itself_and_keeps_the_heartbeat_fresh(video_world, monkeypatch):
    wid = worker("box:14:dd", seen_ago=0)
    monkeypatch.setattr(liveness, "worker_id", lambda: wid)
    job = video_job(video_world)
    real_run = video_worker._run
    seen = {}

    def run(job_, folder, progress):
        row = VideoJob.objects.filter(pk=job_.pk)
        row.update(heartbeat_at=timezone.now() - timedelta(hours=1))
        liveness.beat(wid)  # what the liveness thread does every few seconds
        seen["row"] = row.values("worker_id", "heartbeat_at").get()
        return real_run(job_, folder, progress)

    monkeypatch.setattr(video_worker, "_run", run)
    assert str(video_worker.run_video_job(job.pk)) == "succeeded"
    assert seen["row"]["worker_id"] == wid
    assert timezone.now() - seen["row"]["heartbeat_at"] < timedelta(seconds=60)


def test_owner_cancels_a_queued_job_and_the_worker_skips_it(video_world):
    w = video_world
    job = video_job(w)
    with pytest.raises(Exception, match="Only the editor"):
        cancel_job(job, w.viewer)
    assert cancel_job(job, w.editor) is True
    assert job.status == "cancelled" and job.error == "Cancelled by the editor."
    before = media_count()
    assert str(video_worker.run_video_job(job.pk)) == "skipped"
    job.refresh_from_db()
    assert job.status == "cancelled" and media_count() == before


def test_running_job_cancellable_only_when_its_worker_is_dead(video_world):
    w = video_world
    slow = running(w, worker("here:15:ee", seen_ago=1))
    orphan = running(w, worker("gone:16:ff", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1))
    assert cancel_job(slow, w.editor) is False and slow.status == "running"
    assert cancel_job(orphan, w.editor) is True
    assert orphan.status == "cancelled" and "had stopped" in orphan.error


@pytest.mark.parametrize("when", ["before_save", "after_save"])
def test_late_result_of_a_cancelled_job_leaves_no_media(video_world, monkeypatch, when):
    job = video_job(video_world)
    before = media_count()
    saved = []

    def give_up():
        VideoJob.objects.filter(pk=job.pk).update(status="cancelled", error="Cancelled.")

    if when == "before_save":
        real_run = video_worker._run

        def run(*args):
            result = real_run(*args)
            give_up()
            return result

        monkeypatch.setattr(video_worker, "_run", run)
    else:
        real_save = library.save_video

        def save(*args, **kwargs):
            saved.append(real_save(*args, **kwargs))
            give_up()  # e.g. the sweeper acts between the save and the final update
            return saved[-1]

        monkeypatch.setattr(library, "save_video", save)
    assert str(video_worker.run_video_job(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.status == "cancelled" and job.result_media_id is None
    assert media_count() == before
    for media in saved:
        assert not media.file.storage.exists(media.file.name)


def test_admin_job_page_cancel_button(client, video_world):
    w = video_world
    job = video_job(w)
    client.force_login(w.editor)
    url = f"/admin/gan/video/jobs/{job.pk}/"
    assert b"Cancel this job" in client.get(url).content
    response = client.post(url + "cancel/")
    assert response.status_code == 302 and response.url.endswith(url)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert b"Cancel this job" not in client.get(url).content
    client.force_login(w.viewer)
    assert client.post(url + "cancel/").status_code == 404
