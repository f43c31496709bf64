"""The worker's side (in process, dummy backend and tiny real architectures): the ML rendition
swapped into the fallback's row, the cache purged (twice), stale results (a file replaced before or
during the run, a duplicate run) discarded, the heartbeat of long runs; the system check for a
per-process cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import checks
from django.test import override_settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tests.renditions.helpers import fresh, huey_counts, pixels, run_job
from wagtail_gan import tasks
from wagtail_gan.conf import gan_settings
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import model_run, sweeper, worker
from wagtail_gan.work.context import WorkerContext

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def test_worker_swaps_ml_rendition_in_place(make_image):
    image = make_image(width=64, height=48)
    fallback = image.get_rendition("width-32|stylize-3")
    old_name, old_url = fallback.file.name, fallback.url
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1 and job.model_id
    assert job.fallback_name == old_name and job.result_name != old_name
    # Cache purged: a new request (fresh instance) gets the new file.
    upgraded = fresh(image).get_rendition("width-32|stylize-3")
    assert upgraded.pk == fallback.pk
    assert upgraded.file.name == job.result_name and upgraded.url != old_url
    assert (upgraded.width, upgraded.height) == (32, 24)
    assert pixels(upgraded).tobytes() != pixels(fallback).tobytes()
    # The old URL keeps working during the grace period, then the file goes.
    storage = fallback.file.storage
    assert storage.exists(old_name)
    sweeper.sweep()
    assert storage.exists(old_name)
    later = timezone.now() + timedelta(seconds=gan_settings.FALLBACK_GRACE_SECONDS + 1)
    assert sweeper.sweep(now=later).counts["files_deleted"] >= 1  # + unreferenced race losers
    assert not storage.exists(old_name) and storage.exists(job.result_name)
    # A second run of the same job is a no-op.
    assert run_job(job.pk) == "done"
    assert fresh(image).get_rendition("width-32|stylize-3").file.name == job.result_name


def test_worker_waits_for_fallback_row(make_image):
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    image.renditions.all().delete()  # as if the web's INSERT had not happened yet
    outcome = worker.run_rendition_job(job.pk)
    assert outcome.status == "waiting" and outcome.retry_in == worker.ROW_RETRY_DELAY
    RenditionJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert run_job(job.pk) == "done"
    rendition = fresh(image).get_rendition("stylize-3")
    assert rendition.file.name == RenditionJob.objects.get().result_name


def test_file_replaced_before_worker_runs_gives_no_stale_result(make_image, make_image_file):
    image = make_image(width=64, height=48)
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    image.file = make_image_file(width=40, height=40, name="new.png")
    image._set_image_file_metadata()
    image.save()
    image.renditions.all().delete()  # what Wagtail's edit form does on a file change
    assert run_job(job.pk) == "expired"
    job.refresh_from_db()
    assert "replaced" in job.error and not job.result_name
    # The new file gets its own job (file_hash is in the key).
    fresh(image).get_rendition("stylize-3")
    assert RenditionJob.objects.count() == 2


def test_file_replaced_while_model_runs_discards_result(make_image, make_image_file, monkeypatch):
    image = make_image(width=64, height=48)
    fallback = image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    real_store = worker.store

    def store_then_replace(img, generated):
        name = real_store(img, generated)
        other = fresh(img)
        other.file = make_image_file(width=40, height=40, name="swapped.png")
        other._set_image_file_metadata()
        other.save()
        return name

    monkeypatch.setattr(worker, "store", store_then_replace)
    assert run_job(job.pk) == "expired"
    assert type(fallback).objects.get(pk=fallback.pk).file.name == fallback.file.name


def test_stylize_image_uses_the_other_library_image(make_image):
    image = make_image(width=64, height=48)
    style = make_image(title="style", width=32, height=32)
    spec = f"stylize-image{style.pk}"
    fallback = image.get_rendition(spec)
    before = pixels(fallback).tobytes()
    assert run_job(RenditionJob.objects.get().pk) == "done"
    after = fresh(image).get_rendition(spec)
    assert pixels(after).tobytes() != before


@pytest.mark.parametrize(
    "spec, size",
    [
        ("width-16|upscale-4x", (64, 48)),
        ("width-32|upscale-2x", (64, 48)),
        ("width-16|upscale-realesrgan_x2plus", (32, 24)),
        ("width-32|winterize-70", (32, 24)),
        ("width-32|stylize-monet", (32, 24)),
    ],
)
def test_upscale_and_cyclegan_filters_with_tiny_models(make_image, gan_tiny_models, spec, size):
    """Real architectures (tiny random weights): the fallback and the ML rendition have the
    same, correct size; the pixels change."""
    image = make_image(width=64, height=48)
    fallback = image.get_rendition(spec)
    assert (fallback.width, fallback.height) == size
    job = RenditionJob.objects.get(filter_spec=spec)
    assert run_job(job.pk) == "done", RenditionJob.objects.get().error
    upgraded = fresh(image).get_rendition(spec)
    assert upgraded.file.name != fallback.file.name
    assert (upgraded.width, upgraded.height) == size
    assert pixels(upgraded).tobytes() != pixels(fallback).tobytes()


def test_upscale_model_without_declared_scale_keeps_the_models_size(
    make_image, gan_tiny_models, tiny_sr_model, settings
):
    """A site model with no declared scale: the fallback cannot know the size, so it keeps
    the input size and the worker's swap records the model's real output size."""
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS": {
        **settings.WAGTAIL_GAN["MODELS"], "mysr": {"task": "upscale", "path": str(tiny_sr_model)}}}
    image = make_image(width=64, height=48)
    fallback = image.get_rendition("width-16|upscale-mysr")
    assert (fallback.width, fallback.height) == (16, 12)
    assert run_job(RenditionJob.objects.get().pk) == "done", \
        RenditionJob.objects.get().error
    upgraded = fresh(image).get_rendition("width-16|upscale-mysr")
    assert (upgraded.width, upgraded.height) == (64, 48)


def test_stale_cache_entry_written_during_the_swap_is_purged_again(make_image):
    image = make_image()
    fallback = image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    HUEY.flush()
    assert tasks.generate_rendition.call_local(job.pk) == "done"
    assert huey_counts() == 1  # the second purge, 5 s later
    # A request that read the row just before the swap committed re-caches the fallback.
    Rendition = type(fallback)
    key = Rendition.construct_cache_key(image, "", "stylize-3")
    Rendition.cache_backend.set(key, fallback)
    assert fresh(image).get_rendition("stylize-3").file.name == fallback.file.name
    worker.purge_job_cache(job.pk)
    job.refresh_from_db()
    assert fresh(image).get_rendition("stylize-3").file.name == job.result_name


def test_duplicate_run_that_loses_the_swap_leaves_the_winner_alone(make_image, monkeypatch):
    image = make_image()
    fallback = image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    real_store = worker.store

    stored = []

    def other_run_wins(img, generated):
        name = real_store(img, generated)
        stored.append(name)
        type(fallback).objects.filter(pk=fallback.pk).update(file="images/winner.png")
        RenditionJob.objects.filter(pk=job.pk).update(status="done", result_name="images/winner.png")
        return name

    monkeypatch.setattr(worker, "store", other_run_wins)
    outcome = worker.run_rendition_job(job.pk)
    assert outcome.status == "done" and outcome.retry_in is None  # no retry
    job.refresh_from_db()
    assert (job.status, job.result_name) == ("done", "images/winner.png")
    assert not fallback.file.storage.exists(stored[0])  # the losing copy is not left behind


def test_long_model_runs_heartbeat_so_the_sweeper_leaves_them_alone(make_image, monkeypatch):
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    old = timezone.now() - timedelta(hours=1)
    RenditionJob.objects.filter(pk=job.pk).update(updated_at=old)
    monkeypatch.setattr(model_run, "HEARTBEAT_SECONDS", 0)
    beat = model_run.heartbeat(WorkerContext(filter=None, job=job))
    beat(0.5)  # what the engine calls while a long run goes on (tiles, steps)
    assert RenditionJob.objects.get(pk=job.pk).updated_at > old


def test_check_warns_on_per_process_rendition_cache():
    def ids():
        return {m.id for m in checks.run_checks() if m.id and m.id.startswith("wagtail_gan")}

    assert "wagtail_gan.W005" not in ids()
    with override_settings(CACHES={"default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        assert "wagtail_gan.W005" in ids()
    # A DummyCache caches nothing: pages never see a stale fallback through it.
    with override_settings(CACHES={"default": {
            "BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        assert "wagtail_gan.W005" not in ids()
