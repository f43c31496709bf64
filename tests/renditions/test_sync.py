"""SYNC_RENDITIONS: a site that runs the models inside the request (and ``gan_pregenerate
--sync``)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.renditions.helpers import fresh, huey_counts, pixels, render
from tests.utils import gan_override
from wagtail_gan.models import RenditionJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def test_sync_renditions_run_in_process(make_image):
    image = make_image(width=64, height=48)
    plain = image.get_rendition("width-32")
    with gan_override(SYNC_RENDITIONS=True):
        before = huey_counts()
        ml = image.get_rendition("width-32|stylize-3")
    assert huey_counts() == before
    assert pixels(ml).tobytes() != pixels(plain).tobytes()
    job = RenditionJob.objects.get()
    assert (job.status, job.model_id) == ("done", "dummy_stylize")
    assert render("{{ img|gan_ready:'width-32|stylize-3' }}", img=image) == "True"
    with gan_override(SYNC_RENDITIONS=True):
        fallback = image.get_rendition("width-32|stylize-image31337")
    assert (fallback.width, fallback.height) == (32, 24)
    failed = RenditionJob.objects.get(filter_spec="width-32|stylize-image31337")
    assert failed.status == "failed" and "31337 does not exist" in failed.error


def test_sync_renditions_in_the_thread_pool_record_every_spec(make_image):
    image = make_image(width=64, height=48)
    with gan_override(SYNC_RENDITIONS=True):
        render("{% srcset_image img width-{16,24,32} stylize-3 %}", img=image)
    assert sorted(RenditionJob.objects.values_list("filter_spec", "status")) == [
        (f"width-{w}|stylize-3", "done") for w in (16, 24, 32)]


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
