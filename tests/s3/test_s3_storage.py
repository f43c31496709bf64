"""The rendition lifecycle, pending outputs, keep/discard and the provenance check on S3
(django-storages' ``S3Storage`` against moto's S3 server; see tests/s3/conftest.py). Marked
``s3``; quick, and run in both test passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.images import get_image_model

from tests.conftest import DUMMY_MODELS
from tests.provenance.helpers import signing
from tests.renditions.helpers import race_wagtail_inserts, render_concurrently
from wagtail_gan import jobs, provenance
from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs import worker as job_worker
from wagtail_gan.jobs.outputs import pending_storage
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import sweeper
from wagtail_gan.renditions.status import status_for_urls
from wagtail_gan.renditions.worker import run_rendition_job
from wagtail_gan.work.storage import rendition_storage

pytestmark = pytest.mark.s3


def keys(storage, folder: str) -> set[str]:
    return {f"{folder}/{f}" for f in storage.listdir(folder)[1]}


@pytest.mark.django_db(transaction=True)
def test_rendition_lifecycle_on_s3(s3_storage, make_image, monkeypatch):
    image = make_image(width=96, height=64)
    assert image.file.storage.exists(image.file.name) and "S3" in rendition_storage().__class__.__name__
    image.get_file_hash()
    image.save()
    # Fallbacks: concurrent {% picture %} renders, race losers included.
    race_wagtail_inserts(monkeypatch, 4)
    served = {u for u in render_concurrently(image, 4) if ".stylize-3" in u}
    monkeypatch.undo()
    assert all(u.startswith(s3_storage.url("images/")) for u in served)
    fallbacks = set(image.renditions.values_list("file", flat=True))
    before = keys(s3_storage, "images")
    assert len(fallbacks) == 4 and fallbacks < before  # + the losers' files

    # The worker swaps the ML files in; every served URL (losers too) now says "ready".
    for job in RenditionJob.objects.all():
        assert run_rendition_job(job.pk).status == "done"
    results = set(RenditionJob.objects.values_list("result_name", flat=True))
    assert set(type(image).objects.get(pk=image.pk).renditions.values_list("file", flat=True)) \
        == results
    status = status_for_urls(sorted(served))
    assert set(status) == served and {i["status"] for i in status.values()} == {"ready"}
    assert {i["url"] for i in status.values()} == {s3_storage.url(n) for n in results}

    # Fallbacks and losers stay for the grace period, then the sweeper deletes them.
    sweeper.sweep()
    assert keys(s3_storage, "images") == before | results
    later = timezone.now() + timedelta(seconds=gan_settings.FALLBACK_GRACE_SECONDS + 1)
    counts = sweeper.sweep(now=later).counts
    assert keys(s3_storage, "images") == results, counts
    assert counts["files_deleted"] == len(before)


@pytest.mark.django_db
def test_pending_outputs_keep_discard_and_provenance_on_s3(
    s3_storage, gan_world, big_source, devcert, django_capture_on_commit_callbacks
):
    with signing(devcert, MODELS=DUMMY_MODELS):
        kept_job = jobs.submit_variant_job(user=gan_world.editor, image=big_source,
                                           operation="stylize-3", seed=3)
        dropped = jobs.submit_variant_job(user=gan_world.editor, image=big_source,
                                          operation="stylize-5", seed=4)
        for job in (kept_job, dropped):
            job_worker.run_generation_job(job.pk)
            job.refresh_from_db()
            assert job.status == "succeeded", job.error
        storage = pending_storage()  # the private S3 location
        assert storage.location == "gan-private"
        pending = {o["name"] for job in (kept_job, dropped) for o in job.outputs}
        assert all(n.startswith("gan_pending/") and storage.exists(n) for n in pending)
        images = get_image_model()._meta.get_field("file").storage
        assert not any(images.exists(n) for n in pending)  # not in the public space
        assert jobs.job_status(kept_job)["outputs"][0]["url"]

        with django_capture_on_commit_callbacks(execute=True):
            kept = jobs.keep_job(kept_job, gan_world.editor)
        jobs.discard_job(dropped, gan_world.editor)
        assert not any(storage.exists(n) for n in pending)  # kept copied, dropped deleted
        assert kept.file.storage.exists(kept.file.name)
        with kept.open_file() as fh:
            report = provenance.inspect_file(fh.read(), name=kept.file.name)
    assert report["ours"] and report["match"]["variant"]["id"] == kept.gan_variant.pk
    assert report["c2pa"]["state"] == "Trusted"
    assert report["xmp"]["wgan:Job"] == str(kept_job.uuid)
