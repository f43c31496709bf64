"""Helpers of the rendition tests (holds no tests): render a template, count the queue, run a
job in process, read a rendition's pixels, a fresh image instance, the URLs a page serves,
concurrent ``{% picture %}`` renders. The ``empty_queue`` fixture is in this folder's
conftest."""

from __future__ import annotations

import re
import threading

from django.db import connection
from django.template import Context, Template
from huey.contrib.djhuey import HUEY
from PIL import Image as PILImage
from wagtail.images import get_image_model

from wagtail_gan.renditions import worker

SRC_RE = re.compile(r'(?:src|srcset)="([^"]+)"')
PICTURE = "{% load wagtailimages_tags %}{% picture img format-{webp,png} width-{24,48} stylize-3 %}"


def run_job(job_id: int) -> str:
    """The worker's outcome status for one rendition job (what the task returns)."""
    return worker.run_rendition_job(job_id).status


def render(source: str, **context) -> str:
    return Template("{% load wagtailimages_tags gan_renditions %}" + source).render(
        Context(context)
    )


def huey_counts():
    return HUEY.pending_count() + HUEY.scheduled_count()


def pixels(rendition) -> PILImage.Image:
    with rendition.file.storage.open(rendition.file.name) as fh, PILImage.open(fh) as im:
        return im.convert("RGB").copy()


def fresh(image):
    return type(image).objects.get(pk=image.pk)


def urls_in(html: str) -> list[str]:
    """Every URL of the ``src``/``srcset`` attributes, in page order."""
    found = []
    for value in SRC_RE.findall(html):
        found += [part.strip().split(" ")[0] for part in value.split(",")]
    return found


def render_concurrently(image, count: int) -> set[str]:
    barrier = threading.Barrier(count)
    served, errors = set(), []

    def one():
        try:
            own = fresh(image)
            barrier.wait()
            served.update(urls_in(Template(PICTURE).render(Context({"img": own}))))
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
