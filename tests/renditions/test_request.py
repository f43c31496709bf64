"""A page that asks for an ML rendition (web mode): Wagtail's fallback at once, of the right size,
and one job per rendition however many requests, threads and Wagtail paths (srcset, picture, serve
view, API field) ask; SVG and animated sources pass through; limits skip the model; a queue that is
down breaks nothing."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.api.fields import ImageRenditionField
from wagtail.images.views.serve import generate_signature

from tests.renditions.helpers import fresh, huey_counts, pixels, render, run_job
from tests.utils import gan_override
from wagtail_gan import tasks
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


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
    with gan_override(FALLBACK_FAST_ABOVE_PIXELS=100_000):
        big = image.get_rendition("upscale-4x")
    assert (big.width, big.height) == (1600, 1200)
    with big.file.storage.open(big.file.name) as fh, PILImage.open(fh) as im:
        assert im.format == "JPEG" and not im.info.get("progressive")
    small = image.get_rendition("width-100|upscale-2x")
    with small.file.storage.open(small.file.name) as fh, PILImage.open(fh) as im:
        assert im.info.get("progressive")  # Wagtail's normal encoding below the threshold


def test_svg_and_animated_gif_pass_through(make_image, tmp_path):
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
    with gan_override(MAX_INPUT_PIXELS=1000):
        before = huey_counts()
        rendition = image.get_rendition("stylize-3")
    assert (rendition.width, rendition.height) == (64, 48)
    job = RenditionJob.objects.get()
    assert job.status == "skipped" and "MAX_INPUT_PIXELS" in job.error
    assert huey_counts() == before


def test_max_output_pixels_caps_upscale(make_image, caplog):
    image = make_image(width=64, height=48)
    with gan_override(MAX_OUTPUT_PIXELS=100 * 100):
        rendition = image.get_rendition("upscale-4x")
    assert rendition.width * rendition.height <= 100 * 100
    job = RenditionJob.objects.get()
    assert job.status == "skipped" and "MAX_OUTPUT_PIXELS" in job.error
    assert "MAX_OUTPUT_PIXELS" in caplog.text


def test_every_ml_step_of_a_spec_is_checked_with_the_size_it_gets(make_image):
    # 64x48: upscale-2x makes 128x96 (within), then upscale-4x would make 512x384; Wagtail's
    # resizes (width-32) run before every filter, so the steps see 32x24 -> 64x48 -> 256x192
    image = make_image(width=64, height=48)
    with gan_override(MAX_OUTPUT_PIXELS=100_000):
        before = huey_counts()
        image.get_rendition("upscale-2x|upscale-4x")
        assert huey_counts() == before  # no model runs step 1 to have step 2 refused
        assert image.get_rendition("width-32|upscale-2x|upscale-4x").width == 256
    jobs = {job.filter_spec: job for job in RenditionJob.objects.all()}
    skipped = jobs["upscale-2x|upscale-4x"]
    assert skipped.status == "skipped" and "upscale-4x: output 512x384" in skipped.error
    assert jobs["width-32|upscale-2x|upscale-4x"].status != "skipped"


def test_serve_view_and_image_url_get_fallback(make_image, client):
    image = make_image(width=64, height=48)
    spec = "width-20|upscale-2x"
    signature = generate_signature(image.pk, spec)
    response = client.get(f"/images/{signature}/{image.pk}/{spec}/")
    assert response.status_code == 200
    with PILImage.open(io.BytesIO(b"".join(response.streaming_content))) as served:
        assert served.size == (40, 30)
    assert RenditionJob.objects.get().filter_spec == spec


def test_api_rendition_field_gets_fallback(make_image):
    image = make_image(width=64, height=48)
    data = ImageRenditionField("width-20|upscale-2x").to_representation(image)
    assert (data["width"], data["height"]) == (40, 30)
    assert RenditionJob.objects.get().filter_spec == "width-20|upscale-2x"


def test_queue_down_does_not_break_the_page(make_image, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("queue unreachable")

    monkeypatch.setitem(tasks.ENQUEUE, "rendition", down)
    image = make_image()
    html = render("{% image img width-20 stylize-3 %}", img=image)
    assert 'width="20"' in html
    assert RenditionJob.objects.get().status == "pending"  # the sweeper re-queues it later
    assert "queue unreachable" in caplog.text


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
