"""Several workers, one queue: two ``run_huey`` processes on Redis (PriorityRedisHuey, the
production setup; the Redis pass): one model run per job under concurrent enqueues, editor
jobs overtake queued renditions, and a worker killed mid-job is recovered by the other."""

from __future__ import annotations

import json
import os
import threading

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from tests.utils import HueyConsumer, wait_for
from wagtail_gan import jobs, tasks
from wagtail_gan.models import GenerationJob, RenditionJob, WorkerProcess

pytestmark = [
    pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("GAN_TEST_QUEUE") != "redis",
                       reason="the Redis pass (GAN_TEST_QUEUE=redis) runs it"),
]

FAST = {"WORKER_HEARTBEAT_SECONDS": 0.3, "WORKER_DEAD_AFTER": 2}


@pytest.fixture
def queue_env(settings):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, **FAST}
    HUEY.flush()
    yield {"GAN_TEST_SETTINGS": json.dumps(FAST)}
    HUEY.flush()


@pytest.fixture
def start_consumers(tmp_path, queue_env):
    started = []

    def start(count: int) -> list[HueyConsumer]:
        workers = [HueyConsumer(log_path=tmp_path / f"c{len(started) + i}.log", workers=1,
                                extra_env=queue_env) for i in range(count)]
        for w in workers:
            w.start()
        started.extend(workers)
        return workers

    yield start
    for w in started:
        w.stop()


def worker_id_of(consumer: HueyConsumer) -> str:
    return wait_for(lambda: WorkerProcess.objects.filter(pid=consumer.proc.pid)
                    .values_list("pk", flat=True).first(), timeout=30)


def images(make_image, count):
    made = [make_image(title=f"p{i}", width=40, height=30) for i in range(count)]
    for image in made:
        image.get_file_hash()
        image.save()
    return made


def render_concurrently(targets, spec):
    def one(image):
        try:
            type(image).objects.get(pk=image.pk).get_rendition(spec)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(im,)) for im in targets for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def all_done(count, consumers):
    def done():
        return (RenditionJob.objects.filter(status="done").count() == count
                and not GenerationJob.objects.filter(status__in=["queued", "running"]).exists())

    wait_for(done, timeout=90, interval=0.1, message="\n".join(
        c.log()[-1500:] for c in consumers))


def test_two_workers_one_queue_one_run_per_job_and_a_kill(
    make_image, slow_model, start_consumers
):
    slow_model("stylize", delay=0.6)
    a, b = start_consumers(2)
    ids = {worker_id_of(a), worker_id_of(b)}
    # Concurrent requests (3 per image) and duplicate messages for every job.
    targets = images(make_image, 6)
    render_concurrently(targets, "stylize-3")
    assert RenditionJob.objects.count() == 6
    threads = [threading.Thread(target=tasks.enqueue_rendition, args=(pk,))
               for pk in RenditionJob.objects.values_list("pk", flat=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_done(6, [a, b])
    rows = list(RenditionJob.objects.values("attempts", "worker_id"))
    assert {r["attempts"] for r in rows} == {1}  # one claim = one model run per job
    assert {r["worker_id"] for r in rows} == ids  # both workers took jobs from the one queue

    # A worker is killed mid-job; the other finishes everything, its job included.
    more = images(make_image, 4)
    render_concurrently(more, "stylize-4")
    victim = worker_id_of(a)
    wait_for(lambda: RenditionJob.objects.filter(status="running", worker_id=victim).exists(),
             timeout=60, interval=0.01, message=a.log()[-1500:])
    killed = RenditionJob.objects.get(status="running", worker_id=victim)
    a.kill()
    all_done(10, [b])
    killed.refresh_from_db()
    assert killed.attempts == 2 and killed.worker_id == worker_id_of(b)
    assert set(RenditionJob.objects.filter(filter_spec="stylize-4").exclude(pk=killed.pk)
               .values_list("attempts", flat=True)) == {1}


def test_editor_job_overtakes_queued_renditions(gan_world, make_image, slow_model,
                                                 start_consumers):
    slow_model("stylize", delay=0.5)
    targets = images(make_image, 6)
    for image in targets:  # queued before the editor's job, while no worker runs
        image.get_rendition("stylize-3")
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-5")
    consumers = start_consumers(2)
    all_done(6, consumers)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    starts = sorted(RenditionJob.objects.values_list("started_at", flat=True))
    # The editor's job was among the first two tasks taken (one per worker), though six
    # renditions were queued before it.
    assert job.started_at <= starts[1], (job.started_at, starts)
