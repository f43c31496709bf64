"""The rendition sweeper (periodic task ``sweep_renditions`` and ``manage.py gan_sweep``):
re-queue lost jobs, expire stuck ones, delete superseded fallback files whose grace period is
over - and the fallback files that concurrent requests left when they lost Wagtail's own
get_or_create race (``race_losers``)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from django.core.files.storage import FileSystemStorage
from django.db.models import Q
from django.utils import timezone

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import RenditionJob
from wagtail_gan.work import liveness
from wagtail_gan.work.outcome import Outcome
from wagtail_gan.work.storage import rendition_storage

from . import compat

logger = logging.getLogger(__name__)
Status = RenditionJob.Status


def sweep(now=None) -> Outcome:
    """Re-queue lost jobs, expire stuck ones, delete superseded files past their grace.
    ``Outcome.requeue`` lists the jobs the task puts back on the queue. Jobs waiting for
    their model are left alone (``work.waiting`` releases them)."""
    now = now or timezone.now()
    expire = now - timedelta(seconds=int(gan_settings.RENDITION_EXPIRE_SECONDS))
    counts = {"requeued": 0, "expired": 0, "failed": 0, "files_deleted": 0}
    active = RenditionJob.objects.filter(status__in=[Status.PENDING, Status.RUNNING])
    # The clock runs from the request, or from the job's last end (a re-armed job, one
    # released when its model was installed: ``work.waiting``).
    old = active.filter(created_at__lt=expire).filter(
        Q(finished_at=None) | Q(finished_at__lt=expire))
    for job in old:
        if RenditionJob.objects.filter(pk=job.pk, status=job.status).update(
            status=Status.EXPIRED, finished_at=now, updated_at=now,
            error=f"No result after {gan_settings.RENDITION_EXPIRE_SECONDS}s; expired.",
        ):
            counts["expired"] += 1
    recovered = recover_lost(now)
    counts["requeued"], counts["failed"] = recovered.counts["requeued"], recovered.counts["failed"]
    counts["files_deleted"] = delete_superseded_files(now)
    return Outcome("swept", requeue=recovered.requeue, counts=counts)


def recover_lost(now=None) -> Outcome:
    """Re-queue (or, after RENDITION_MAX_ATTEMPTS, fail) the jobs that no worker is running:
    running on a dead worker (``work.liveness``; also called by live workers on every
    liveness beat), or no sign of life for RENDITION_STALE_SECONDS (a lost queue message, a
    job run outside a consumer). A job on a live worker keeps ``updated_at`` fresh."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=int(gan_settings.RENDITION_STALE_SECONDS))
    counts = {"requeued": 0, "failed": 0}
    requeue = []
    active = RenditionJob.objects.filter(status__in=[Status.PENDING, Status.RUNNING])
    dead = liveness.dead_claims(active.filter(status=Status.RUNNING), now)
    for job in active.filter(updated_at__lt=stale) | dead:
        # Conditional updates: a concurrent sweeper cannot act on the same job twice.
        rows = RenditionJob.objects.filter(pk=job.pk, status=job.status,
                                           updated_at=job.updated_at, worker_id=job.worker_id)
        if job.attempts >= int(gan_settings.RENDITION_MAX_ATTEMPTS):
            if rows.update(
                status=Status.FAILED, finished_at=now, updated_at=now,
                error=(job.error or "lost by the worker")
                + f" (gave up after {job.attempts} attempts)",
            ):
                counts["failed"] += 1
            continue
        if job.status != Status.RUNNING:
            why = "no progress"
        elif job.worker_id and liveness.is_dead(job.worker_id, now):
            why = f"worker {job.worker_id.rsplit(':', 1)[0]} stopped"
        else:
            why = "worker lost the job"
        if rows.update(status=Status.PENDING, updated_at=now,
                       error=f"Re-queued by the sweeper ({why})"):
            requeue.append(job.pk)
            counts["requeued"] += 1
    return Outcome("recovered", requeue=requeue, counts=counts)


def delete_superseded_files(now=None) -> int:
    now = now or timezone.now()
    storage = rendition_storage()
    deleted = 0
    due = list(RenditionJob.objects.filter(delete_after__lte=now).exclude(superseded_files=[]))
    if not due:
        return 0
    # Names another job still keeps for its own grace period (same file name, other image).
    protected = {
        name
        for names in RenditionJob.objects.filter(delete_after__gt=now)
        .exclude(superseded_files=[]).values_list("superseded_files", flat=True)
        for name in names or []
    }
    # Race losers of the names due now: only their folders are listed, once per sweep with
    # something due, never the whole renditions folder every minute.
    names = list(dict.fromkeys(n for job in due for n in job.superseded_files or []))
    for name in names + race_losers(names):
        if name not in protected and not compat.is_referenced(name):
            storage.delete(name)
            deleted += 1
    RenditionJob.objects.filter(pk__in=[job.pk for job in due]).update(
        superseded_files=[], delete_after=None)
    return deleted


def delete_job_files(job) -> None:
    """A job row is deleted (its image was deleted): its superseded files go with it."""
    storage = rendition_storage()
    names = list(job.superseded_files or [])
    for name in names + race_losers(names):
        if not compat.is_referenced(name):
            storage.delete(name)


def race_losers(names) -> list[str]:
    """Fallback files written by concurrent requests that lost Wagtail's get_or_create race
    for any of ``names`` and that no rendition references. Django's storage names them by
    inserting ``_XXXXXXX`` before the first dot: ``photo.width-40.stylize-7.png`` ->
    ``photo_AbC1234.width-40.stylize-7.png``. Called by the sweeper only (never on a job's
    path), for all the names whose grace period is over at once: a local folder is listed
    once; an S3 bucket is asked for the keys that start with each name's stem (a prefix
    listing, never the whole renditions folder)."""
    storage = rendition_storage()
    # folder -> what follows the first dot -> the names before it (with and without a
    # storage suffix) that a loser of one of ``names`` can have.
    wanted: dict[str, dict[str, set[str]]] = {}
    for name in set(names):
        directory, root, rest = compat.split_name(name)
        wanted.setdefault(directory, {}).setdefault(rest, set()).update(
            {root, compat.without_storage_suffix(root)})
    found = []
    for directory, by_rest in wanted.items():
        stems = {root for roots in by_rest.values() for root in roots}
        for f in _files_starting_with(storage, directory, stems):
            froot, _, frest = f.partition(".")
            roots = by_rest.get(frest)
            if roots is None:
                continue
            if froot in roots or (
                len(froot) > 8 and froot[-8] == "_" and compat.without_storage_suffix(froot) in roots
            ):
                found.append(f"{directory}/{f}" if directory else f)
    names = set(names)
    return [n for n in found if n not in names and not compat.is_referenced(n)]


def _files_starting_with(storage, directory: str, stems) -> list[str]:
    """Base names of the files in ``directory`` that may start with one of ``stems``."""
    if isinstance(storage, FileSystemStorage):
        try:
            # os.listdir, not storage.listdir (which stats every entry to split off folders):
            # the renditions folder holds every rendition of the site; one pass, set lookups.
            return os.listdir(storage.path(directory))
        except OSError:
            return []
    bucket = getattr(storage, "bucket", None)  # django-storages' S3Storage
    if bucket is None:
        return []  # another remote storage: listing it would cost more than the orphans
    location = str(getattr(storage, "location", "") or "").strip("/")
    folder = "/".join(p for p in (location, directory) if p)
    files = set()
    for stem in stems:
        for obj in bucket.objects.filter(Prefix=f"{folder}/{stem}" if folder else stem):
            base = obj.key[len(folder) + 1:] if folder else obj.key
            if "/" not in base:  # not a key in a deeper "folder"
                files.add(base)
    return sorted(files)


def on_job_deleted(sender, instance, **kwargs) -> None:
    try:
        delete_job_files(instance)
    except Exception:  # never block a deletion
        logger.exception("wagtail-gan: could not delete superseded files of job %s", instance.pk)
