"""Web side of an ML rendition: the page gets Wagtail's fallback at once, and a
``RenditionJob`` row keyed by (image, file_hash, filter_spec, focal_point_key) is inserted in a
savepoint - the unique constraint makes the request happen exactly once whatever the
concurrency - and the ``rendition`` work is requested when that transaction commits.

On SQLite, rows created in Wagtail's rendition thread pool are written one at a time, and
handed to the request thread when its write lock is held (see ``request_ml_rendition``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from wagtail.utils.file import hash_filelike

from wagtail_gan import queue
from wagtail_gan.models import RenditionJob

from . import compat
from .limits import limit_error

logger = logging.getLogger(__name__)

POOL_BUSY_TIMEOUT_MS = 50
POOL_LOCKOUT_SECONDS = 1.0
_pool_write_lock = threading.Lock()
_deferred: list[tuple[dict, str]] = []
_deferred_lock = threading.Lock()


def request_ml_rendition(image, filter_, op, input_size, env) -> None:
    """Insert the pending row (once per key) and request the work on commit."""
    if filter_ is None:
        logger.warning(
            "wagtail-gan: %s ran outside Wagtail's Filter.run (custom rendition code?); "
            "serving the fallback without requesting the ML rendition", op.spec.text,
        )
        return
    if image is None or image.pk is None:
        return
    if env.get("gan-requested"):
        return  # a spec with several ML operations is one job
    env["gan-requested"] = True
    key = job_key(image, filter_)
    problem = limit_error(filter_, input_size)
    if problem:
        logger.warning("wagtail-gan: image %s: %s", image.pk, problem)
    if pool_thread_on_sqlite():
        # One pool writer at a time: the pool's threads would otherwise contend for SQLite's
        # write lock among themselves and give up after POOL_BUSY_TIMEOUT_MS under load. A
        # write that finds the lock held by another connection (the request thread, see
        # pool_thread_on_sqlite) hands the row to the request thread, which inserts it when
        # the request finishes (or at its own next insert); the image's other renditions in
        # this pool then hand theirs over without waiting again.
        with _pool_write_lock:
            locked_out = getattr(image, "_gan_pool_locked_out", None)
            if locked_out is None or time.monotonic() - locked_out > POOL_LOCKOUT_SECONDS:
                try:
                    insert_job(key, problem)
                    return
                except OperationalError:
                    image._gan_pool_locked_out = time.monotonic()
        with _deferred_lock:
            _deferred.append((key, problem))
        return
    flush_deferred()
    insert_job(key, problem)


def job_key(image, filter_) -> dict:
    """The unique key of the ``RenditionJob`` of ``filter_`` applied to ``image``."""
    return {
        "image_id": image.pk,
        "file_hash": file_hash(image),
        "filter_spec": filter_.spec,
        "focal_point_key": filter_.get_cache_key(image),
    }


def file_hash(image) -> str:
    """``image.file_hash``, computed if missing (images created in code have none yet), on our
    own file handle (the rendition pool's threads share this image object). It is stored with
    one UPDATE, not ``image.save()`` (whose signals would re-index the image on a page render),
    and not at all from a pool thread (no write that would wait for the request's lock)."""
    if not image.file_hash:
        with image.file.storage.open(image.file.name) as fh:
            image.file_hash = hash_filelike(fh)
        if not compat.in_rendition_pool():
            type(image).objects.filter(pk=image.pk, file_hash="").update(
                file_hash=image.file_hash
            )
    return image.file_hash


def pool_thread_on_sqlite() -> bool:
    """True in a rendition pool thread on SQLite, whose connection then waits at most
    ``POOL_BUSY_TIMEOUT_MS`` for a write lock: the pool thread has its own connection, and if
    the request thread holds SQLite's database-wide write lock (ATOMIC_REQUESTS, a test
    transaction) while it waits for the pool, a write here would wait out the full busy
    timeout and then fail."""
    if not (compat.in_rendition_pool() and connection.vendor == "sqlite"):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {POOL_BUSY_TIMEOUT_MS}")
    return True


def flush_deferred(**kwargs) -> None:
    """Insert job rows the rendition thread pool could not write (see request_ml_rendition).
    Connected to ``request_finished``; also run before any request-thread insert."""
    if not _deferred or compat.in_rendition_pool():
        return
    with _deferred_lock:
        pending = _deferred[:]
        _deferred.clear()
    for key, problem in pending:
        try:
            insert_job(key, problem)
        except Exception:  # never break a request over a job row
            logger.exception("wagtail-gan: could not record the ML rendition %s", key)


def insert_job(key: dict, problem: str) -> None:
    status = RenditionJob.Status.SKIPPED if problem else RenditionJob.Status.PENDING
    task_id = "" if problem else queue.new_task_id()
    try:
        with transaction.atomic():
            job = RenditionJob.objects.create(**key, status=status, error=problem,
                                              task_id=task_id)
    except IntegrityError:
        rearm_done_job(key)
        return
    if not problem:
        # robust: a queue that is down must not break the page (the sweeper re-queues later).
        queue.request("rendition", job.pk, task_id=task_id)


def rearm_done_job(key: dict) -> None:
    """A fallback is being made for a key whose job is done: the ML rendition was deleted
    (e.g. renditions purged). One conditional UPDATE re-arms it, exactly once."""
    job = RenditionJob.objects.filter(**key, status=RenditionJob.Status.DONE).first()
    if job is None:
        return
    if job.result_name and compat.rendition_model().objects.filter(
        pk=job.rendition_id, file=job.result_name
    ).exists():
        return  # the ML rendition is still there (a request raced past the lookup)
    task_id = queue.new_task_id()
    rows = RenditionJob.objects.filter(pk=job.pk, status=RenditionJob.Status.DONE).update(
        status=RenditionJob.Status.PENDING, result_name="", error="", updated_at=timezone.now(),
        task_id=task_id,
    )
    if rows:
        queue.request("rendition", job.pk, task_id=task_id)


def record_sync(image, filter_, env, status: str, **fields) -> None:
    """SYNC_RENDITIONS: keep a job row so readiness tags and the admin listing see the result
    (one row per spec; a failure in any operation of the spec wins)."""
    if filter_ is None or image.pk is None:
        return
    if env.get("gan-sync-status") in ("failed", "skipped"):
        return
    env["gan-sync-status"] = status
    now = timezone.now()
    values = {"status": status, "finished_at": now, "error": "", **fields}
    try:
        key = job_key(image, filter_)
        # In the pool on SQLite: one writer at a time, never waiting for the request's lock.
        with _pool_write_lock if pool_thread_on_sqlite() else contextlib.nullcontext():
            with transaction.atomic():
                job, created = RenditionJob.objects.get_or_create(**key, defaults=values)
            if not created:
                RenditionJob.objects.filter(pk=job.pk).update(updated_at=now, **values)
    except Exception:  # recording never breaks a page
        logger.exception("wagtail-gan: could not record the SYNC_RENDITIONS result")
