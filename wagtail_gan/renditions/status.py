"""Readiness of ML renditions: for template tags (``gan_ready``, ``gan_rendition_status``) and
the public status endpoint used by ``gan-renditions.js`` to swap fallbacks in pages."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.db.models import Q
from wagtail.images.models import Filter

from wagtail_gan.models import RenditionJob
from wagtail_gan.work.storage import rendition_storage

from . import compat
from .limits import gan_filters
from .request import job_key

MAX_STATUS_URLS = 50


def rendition_status(image, spec: str) -> str:
    """Status of the ML version of ``spec`` for ``image``: "ready", "pending", "running",
    "failed", "skipped", "expired", "waiting" (for its model), "plain" (no ML operation in the
    spec) or "none"."""
    filter_ = image.clean_filter_for_svg(Filter(spec=spec))
    if not gan_filters(filter_):
        return "plain"
    job = RenditionJob.objects.filter(**job_key(image, filter_)).first()
    if job is None:
        return "none"
    return "ready" if job.status == RenditionJob.Status.DONE else job.status


def status_for_urls(urls: list[str]) -> dict[str, dict]:
    """Rendition URLs (as a page has them) -> status and the URL to use now. Looks only at
    indexed ``RenditionJob`` columns (``fallback_name``, ``result_name``, ``canonical_name``;
    Wagtail's rendition table has no index on its file column). A fallback written by a
    request that lost Wagtail's insert race (served to its visitor, never recorded) is found
    through its canonical name (``wagtail_gan.renditions.compat.lookup_keys``). URLs not known
    yet (a job the worker has not claimed) or not ML renditions are left out."""
    storage = rendition_storage()
    # The storage's URL prefix (e.g. /media/): a page's rendition URL minus it is the file name.
    base = urlsplit(storage.url("images/x")).path[: -len("images/x")]
    names = {}
    for url in urls[:MAX_STATUS_URLS]:
        path = unquote(urlsplit(url).path)
        if base and path.startswith(base):
            names[path[len(base):]] = url
    out: dict[str, dict] = {}
    if not names:
        return out
    # canonical name -> the served names (a recorded name, or a race loser's) it stands for
    by_key: dict[str, set[str]] = {}
    for name in names:
        for key in compat.lookup_keys(name):
            by_key.setdefault(key, set()).add(name)
    jobs = list(RenditionJob.objects.filter(
        Q(fallback_name__in=list(names)) | Q(result_name__in=list(names))
        | Q(canonical_name__in=list(by_key))
    ).exclude(rendition_id=None).order_by("pk"))
    current = compat.rendition_model().objects.in_bulk([j.rendition_id for j in jobs])
    for job in jobs:
        rendition = current.get(job.rendition_id)
        if rendition is None:
            continue
        ready = job.status == RenditionJob.Status.DONE and rendition.file.name == job.result_name
        recorded = {n for n in (job.fallback_name, job.result_name) if n in names}
        for name in recorded | by_key.get(job.canonical_name, set()):
            if name in out and name not in recorded:
                continue  # a name the job recorded wins over a canonical-name match
            out[name] = {
                "status": "ready" if ready else job.status,
                "url": rendition.url if ready else names[name],
                "width": rendition.width, "height": rendition.height,
            }
    return {names[name]: info for name, info in out.items()}
