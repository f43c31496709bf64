"""Model tasks (install / verify / remove from the Models page) share the job lifecycle: the
claim records the worker and the liveness beat keeps the task's heartbeat fresh; a task whose
worker died is re-queued once, then failed with a reason (``work.sweep``, on the periodic
sweep and on live workers' liveness beats); a late result of a task given up meanwhile is
discarded. The last test kills a real consumer in the middle of a download."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tests.conftest import gan_models_override
from tests.utils import HueyConsumer, SlowFile, serve, wait_for
from wagtail_gan import queue, tasks
from wagtail_gan.conf import gan_settings
from wagtail_gan.models import ModelTask, WorkerProcess
from wagtail_gan.models_admin import worker as model_worker
from wagtail_gan.models_admin.service import queue_action
from wagtail_gan.models_zoo import registry
from wagtail_gan.work import liveness, sweep

pytestmark = pytest.mark.django_db

ENTRY = {"task": "upscale", "family": "spandrel", "url": "http://127.0.0.1:9/tiny.pth",
         "sha256": "0" * 64, "size": 2048, "licence": "MIT"}


@pytest.fixture
def model_entry(settings):
    gan_models_override(settings, {"tiny_sr": ENTRY})
    return "tiny_sr"


@pytest.fixture
def requeued(monkeypatch):
    """The ids the sweepers put on the queue again (instead of the real queue)."""
    ids = []
    monkeypatch.setattr(tasks, "enqueue_install", lambda task_id, **kw: ids.append(task_id))
    return ids


def worker(name: str, seen_ago: float) -> str:
    WorkerProcess.objects.create(pk=name, hostname=name.split(":")[0], pid=1,
                                 last_seen=timezone.now() - timedelta(seconds=seen_ago))
    return name


def running_task(model_id: str, wid: str, **fields) -> ModelTask:
    now = timezone.now()
    task = ModelTask.objects.create(model_id=model_id, action="install", status="running",
                                    started_at=now, heartbeat_at=now, worker_id=wid, **fields)
    return task


def test_a_dead_workers_task_is_requeued_once_then_failed(model_entry, requeued):
    dead = worker("gone:21:aa", seen_ago=gan_settings.WORKER_DEAD_AFTER + 1)
    alive = worker("here:22:bb", seen_ago=1)
    orphan, slow = running_task(model_entry, dead), running_task(model_entry, alive)

    counts = tasks.recover_dead_workers()  # a live worker's liveness beat

    assert counts["models_requeued"] == 1 and counts["models_failed"] == 0, counts
    assert requeued == [orphan.pk]
    orphan.refresh_from_db()
    assert (orphan.status, orphan.requeue_count, orphan.worker_id) == ("queued", 1, "")
    slow.refresh_from_db()
    assert slow.status == "running"  # a slow download on a live worker is left alone
    # It is claimed again on a worker that dies too: failed, with the reason on the page.
    ModelTask.objects.filter(pk=orphan.pk).update(status="running", worker_id=dead)
    counts = tasks.sweep_renditions.call_local()  # the every-minute sweep
    assert counts["models_failed"] == 1 and counts["models_requeued"] == 0, counts
    assert requeued == [orphan.pk]
    orphan.refresh_from_db()
    assert orphan.status == "failed" and orphan.finished_at
    assert "worker stopped while running this model task (worker gone:21" in orphan.message
    assert "re-queued once already" in orphan.message
    # Once the slow one is done too, the page may start a new task at once.
    ModelTask.objects.filter(pk=slow.pk).update(status="succeeded")
    assert queue_action(None, model_entry, "install").status == "queued"


def test_a_task_without_a_heartbeat_is_recovered_too(model_entry, requeued):
    silent = running_task(model_entry, "")  # ran outside a consumer: no worker recorded
    old = timezone.now() - timedelta(seconds=gan_settings.JOB_HEARTBEAT_TIMEOUT + 1)
    ModelTask.objects.filter(pk=silent.pk).update(heartbeat_at=old, started_at=old)
    outcome = sweep.sweep_jobs(ModelTask)
    assert outcome.requeue == [silent.pk] and outcome.counts["models_requeued"] == 1


def test_a_queued_task_nobody_took_is_requeued_once_then_failed(model_entry, requeued):
    old = timezone.now() - timedelta(seconds=gan_settings.JOB_QUEUE_TIMEOUT + 1)
    task = queue_action(None, model_entry, "install")
    ModelTask.objects.filter(pk=task.pk).update(created_at=old)
    assert tasks.sweep_renditions.call_local()["models_requeued"] == 1
    assert requeued == [task.pk]
    later = timezone.now() + timedelta(seconds=gan_settings.JOB_QUEUE_TIMEOUT + 1)
    assert sweep.sweep_jobs(ModelTask, now=later).counts["models_failed"] == 1
    task.refresh_from_db()
    assert task.status == "failed" and "No worker picked this model task up" in task.message


def test_the_claim_records_the_worker_and_the_beat_keeps_it_alive(model_entry, monkeypatch):
    wid = worker("box:23:cc", seen_ago=0)
    monkeypatch.setattr(liveness, "worker_id", lambda: wid)
    task = queue_action(None, model_entry, "install")
    seen = {}

    def install(entry, on_progress=None):
        row = ModelTask.objects.filter(pk=task.pk)
        row.update(heartbeat_at=timezone.now() - timedelta(hours=1))
        liveness.beat(wid)  # what the liveness thread does every few seconds
        seen["row"] = row.values("status", "worker_id", "heartbeat_at").get()
        # the sweeper runs meanwhile: the task is neither lost nor failed
        assert sweep.sweep_jobs(ModelTask).counts == {"models_failed": 0, "models_requeued": 0}
        return {"source": entry.sources[0].url, "sha256": "ab" * 32}

    monkeypatch.setattr(model_worker, "install", install)
    assert model_worker.run_model_task(task.pk) == "succeeded"
    assert seen["row"]["status"] == "running" and seen["row"]["worker_id"] == wid
    assert timezone.now() - seen["row"]["heartbeat_at"] < timedelta(seconds=60)
    task.refresh_from_db()
    assert task.status == "succeeded" and task.message.startswith("Installed from http://")
    assert task.started_at <= task.finished_at and task.worker_id == wid
    assert model_worker.run_model_task(task.pk) == "skipped"  # a duplicate message


def test_a_late_result_of_a_task_given_up_meanwhile_is_discarded(model_entry, monkeypatch):
    task = queue_action(None, model_entry, "install")

    def install(entry, on_progress=None):
        on_progress(1024, 2048)
        # the sweeper failed it meanwhile (its worker looked dead) and told the page
        ModelTask.objects.filter(pk=task.pk).update(status="failed", message="Lost.")
        on_progress(2048, 2048)  # progress of a task that is not running is not written
        return {"source": "x", "sha256": "ab" * 32}

    monkeypatch.setattr(model_worker, "install", install)
    assert model_worker.run_model_task(task.pk) == "failed"
    task.refresh_from_db()
    assert (task.status, task.message, task.done_bytes) == ("failed", "Lost.", 1024)


@pytest.mark.parametrize("action, patch, message, kind", [
    ("verify", ("verify", lambda entry: (False, "sha256 mismatch: files changed")),
     "sha256 mismatch: files changed", "hash"),
    ("install", ("install", lambda entry, on_progress=None: 1 / 0),
     "Unexpected error (ZeroDivisionError): division by zero", ""),
    ("remove", ("remove", lambda entry: False), "Nothing was installed in the models folder.",
     ""),
])
def test_outcomes_and_failures_are_sorted_once(model_entry, monkeypatch, action, patch,
                                               message, kind):
    monkeypatch.setattr(model_worker, *patch)
    task = queue_action(None, model_entry, action)
    model_worker.run_model_task(task.pk)
    task.refresh_from_db()
    assert (task.message, task.error_kind) == (message, kind)
    assert task.status == ("succeeded" if action == "remove" else "failed")


def test_an_unreachable_queue_fails_the_task_with_the_reason(model_entry, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(queue, "request", down)
    with django_capture_on_commit_callbacks(execute=True):
        task = queue_action(None, model_entry, "install")
    task.refresh_from_db()
    assert (task.status, task.message) == ("failed", "Could not reach the job queue: Redis is down")


class SlowModelFile(SlowFile):
    PIECES = 24
    PAUSE = 0.3  # a 7 s download: long enough to kill its worker in the middle


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_install_survives_a_sigkilled_worker(settings, tmp_path):
    """A real consumer is SIGKILLed in the middle of a download: within the liveness window
    (not JOB_HEARTBEAT_TIMEOUT) the task is re-queued, and a fresh worker installs it."""
    fast = {"WORKER_HEARTBEAT_SECONDS": 0.3, "WORKER_DEAD_AFTER": 2}
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, **fast}
    HUEY.flush()
    payload = SlowModelFile.PAYLOAD
    with serve(SlowModelFile) as base:
        gan_models_override(settings, {"killed_sr": {
            **ENTRY, "url": f"{base}/killed_sr.pth", "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest()}})
        env = {"GAN_TEST_SETTINGS": json.dumps(fast)}
        first = HueyConsumer(log_path=tmp_path / "first.log", extra_env=env)
        first.start()
        try:
            task = queue_action(None, "killed_sr", "install")  # no transaction: enqueued now
            wait_for(lambda: ModelTask.objects.filter(pk=task.pk, status="running",
                                                      done_bytes__gt=0).exists(),
                     timeout=60, interval=0.05, message=first.log()[-2000:])
            first.kill()  # SIGKILL mid-download: the row stays "running"
            killed_at = time.monotonic()
        finally:
            first.stop()
        task.refresh_from_db()
        assert task.status == "running" and task.worker_id and task.done_bytes < len(payload)

        def requeued():
            counts = tasks.sweep_renditions.call_local()  # re-queues through the real queue
            return counts["models_requeued"] == 1

        wait_for(requeued, timeout=30, interval=0.25)
        took = time.monotonic() - killed_at
        assert took < fast["WORKER_DEAD_AFTER"] + 5, took
        second = HueyConsumer(log_path=tmp_path / "second.log", extra_env=env)
        second.start()
        try:
            wait_for(lambda: not ModelTask.objects.get(pk=task.pk).is_active, timeout=60,
                     interval=0.1, message=second.log()[-2000:])
        finally:
            second.stop()
    task.refresh_from_db()
    assert task.status == "succeeded", task.message
    assert task.requeue_count == 1 and task.done_bytes == len(payload)
    entry = registry.get("killed_sr")
    assert registry.is_installed(entry)
    shutil.rmtree(registry.model_dir(entry.id))
    HUEY.flush()
