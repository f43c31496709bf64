"""Helpers of the provenance tests: signing settings for the dev CA (the ``devcert`` fixture
in tests/conftest.py), encoded sample photos, a kept variant."""

from __future__ import annotations

import io

from django.test import override_settings
from PIL import Image
from skimage import data

from wagtail_gan import jobs
from wagtail_gan.jobs import worker as job_worker
from wagtail_gan.provenance import metadata

COMPOSITE = metadata.IPTC_DST + metadata.COMPOSITE
TRAINED = metadata.IPTC_DST + metadata.TRAINED


def signing(devcert, anchors=True, **extra):
    conf = {"C2PA_CERT_CHAIN": str(devcert["chain.pem"]),
            "C2PA_PRIVATE_KEY": str(devcert["key.pem"]), **extra}
    if anchors:
        conf["C2PA_TRUST_ANCHORS"] = str(devcert["ca.pem"])
    return override_settings(WAGTAIL_GAN=conf)


def encoded(image: Image.Image, fmt="JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def photo(size=(320, 240)) -> Image.Image:
    return Image.fromarray(data.coffee()).resize(size)


def run_and_keep(world, source, capture, operation="stylize-3"):
    job = jobs.submit_variant_job(user=world.editor, image=source, operation=operation, seed=3)
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    with capture(execute=True):
        kept = jobs.keep_job(job, world.editor)
    with kept.open_file() as fh:
        return job, kept, fh.read()
