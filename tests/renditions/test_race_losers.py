"""Visitors served a race-loser file get the upgrade too: concurrent renders of a
``{% picture %}`` (Wagtail's multi-rendition path writes a file per request and serves the
losers' names, never recording them) - every served URL resolves through the public status
endpoint once the worker has run."""

from __future__ import annotations

import pytest

from tests.renditions.helpers import race_wagtail_inserts, render_concurrently
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import compat
from wagtail_gan.renditions.status import status_for_urls
from wagtail_gan.renditions.worker import run_rendition_job


@pytest.mark.django_db(transaction=True)
def test_every_served_url_of_a_concurrent_picture_render_resolves(make_image, settings,
                                                                   monkeypatch):
    image = make_image(width=96, height=64)
    image.get_file_hash()
    image.save()
    race_wagtail_inserts(monkeypatch, 8)
    served = render_concurrently(image, 8)
    monkeypatch.undo()
    ml = {u for u in served if ".stylize-3" in u}
    assert len(ml) > 4, f"no race loser was served: {sorted(ml)}"  # 4 specs, more names
    recorded = set(image.renditions.values_list("file", flat=True))
    losers = {u for u in ml if u.removeprefix(settings.MEDIA_URL) not in recorded}
    assert losers

    assert status_for_urls(sorted(ml)) == {}  # not claimed yet: unknown
    for job in RenditionJob.objects.all():
        run_rendition_job(job.pk)
    assert set(RenditionJob.objects.values_list("status", flat=True)) == {"done"}
    status = status_for_urls(sorted(ml))
    assert set(status) == ml, sorted(ml - set(status))
    current = {r.file.name: r for r in type(image).objects.get(pk=image.pk).renditions.all()}
    for url, info in status.items():
        assert info["status"] == "ready", (url, info)
        assert info["url"].removeprefix(settings.MEDIA_URL) in current
        # The upgrade is the rendition of the same spec as the served file.
        served_rest = compat.split_name(url)[2]
        assert compat.split_name(info["url"])[2].split(".")[-1] == served_rest.split(".")[-1]


def test_canonical_names_and_lookup_keys(make_image):
    image = make_image(width=40, height=30, name="IMG_1.png")
    stem = image.file.name.rsplit("/", 1)[1].split(".")[0]  # IMG_1 or IMG_1_XXXXXXX
    name = f"images/{stem}.width-40.stylize-3.png"
    loser = f"images/{stem}_AbC1234.width-40.stylize-3.png"
    assert compat.canonical_name(image, name) == name
    assert compat.canonical_name(image, loser) == name
    assert name in compat.lookup_keys(loser) and compat.lookup_keys(name) == [name]
    # A second upload of IMG_1.png is stored as IMG_1_XXXXXXX.png: its renditions keep the
    # suffix of the image's own name, and its losers map to them, not to the first image's.
    other = make_image(width=40, height=30, name="IMG_1.png")
    ostem = other.file.name.rsplit("/", 1)[1].split(".")[0]
    if ostem != stem:
        oname = f"images/{ostem}.width-40.stylize-3.png"
        assert compat.canonical_name(other, oname) == oname
        assert compat.canonical_name(other, f"images/{ostem}_ZyX9876.width-40.stylize-3.png") == oname
