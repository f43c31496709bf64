"""Visitors served a race-loser file get the upgrade too: concurrent renders of a
``{% picture %}`` (Wagtail's multi-rendition path writes a file per request and serves the
losers' names, never recording them) - every served URL resolves through the public status
endpoint once the worker has run."""

from __future__ import annotations

import re
import threading

import pytest
from django.template import Context, Template

from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import compat
from wagtail_gan.renditions.status import status_for_urls
from wagtail_gan.renditions.worker import run_rendition_job

SRC_RE = re.compile(r'(?:src|srcset)="([^"]+)"')
PICTURE = "{% load wagtailimages_tags %}{% picture img format-{webp,png} width-{24,48} stylize-3 %}"


def urls_in(html: str) -> set[str]:
    found = set()
    for value in SRC_RE.findall(html):
        found |= {part.strip().split(" ")[0] for part in value.split(",")}
    return found


def render_concurrently(image, count: int) -> set[str]:
    barrier = threading.Barrier(count)
    served, errors = set(), []

    def one():
        from django.db import connection

        try:
            fresh = type(image).objects.get(pk=image.pk)
            barrier.wait()
            served.update(urls_in(Template(PICTURE).render(Context({"img": fresh}))))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return served


def race_wagtail_inserts(monkeypatch, count: int) -> None:
    """Every request passes Wagtail's clash check before any inserts (what a loaded server
    does; in-process threads are usually too quick to hit the window): each thread's
    ``bulk_create`` waits for the others. ``ignore_conflicts`` then drops the losers' rows
    but Wagtail returns - and the page serves - their file names."""
    from wagtail.images import get_image_model

    manager = get_image_model().get_rendition_model().objects
    real = manager.bulk_create
    barrier = threading.Barrier(count)

    def bulk_create(objs, *args, **kwargs):
        try:
            barrier.wait(timeout=20)
        except threading.BrokenBarrierError:  # pragma: no cover - a thread found rows
            pass
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", bulk_create)


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
