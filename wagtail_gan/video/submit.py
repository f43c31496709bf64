"""Submitting video jobs (web tier): validate, check permissions (no row on refusal), create
the ``VideoJob`` and ask for the work once the transaction commits (``queue.request("video")``).
Idempotency keys and the API throttle's ``admit`` hook work as for ``jobs.submit`` (its
``fingerprint``; a key is one request across image and video jobs). Cancelling is here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from wagtail_gan import queue
from wagtail_gan.exceptions import IdempotencyConflict, JobError
from wagtail_gan.jobs import submit as jobs_submit
from wagtail_gan.models import VideoJob
from wagtail_gan.permissions import check_manage

from . import library, validation
from .sweeper import orphaned_jobs

logger = logging.getLogger(__name__)


def enqueue_video_job(job: VideoJob) -> None:
    """Put the job on the queue now; an unreachable queue fails it with the reason."""
    try:
        queue.request("video", job.pk, task_id=job.task_id or None, on_commit=False)
    except Exception as exc:
        logger.exception("Could not enqueue video job %s", job.pk)
        VideoJob.objects.filter(pk=job.pk, status=VideoJob.Status.QUEUED).update(
            status=VideoJob.Status.FAILED, error=f"Could not reach the job queue: {exc}",
            finished_at=timezone.now())


def replay(user, idempotency_key: str, request_fingerprint: str) -> VideoJob | None:
    """The video job already submitted with this key (``job.replayed``), or None; a key
    used for another request (also an image job's) raises ``IdempotencyConflict``."""
    if not idempotency_key:
        return None
    if jobs_submit.replay(user, idempotency_key, request_fingerprint) is not None:
        raise IdempotencyConflict()  # an image job's key: never the same request
    job = VideoJob.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if job is None:
        return None
    if job.request_fingerprint and job.request_fingerprint != request_fingerprint:
        raise IdempotencyConflict()
    job.replayed = True
    return job


def _create(idempotency_key: str = "", request_fingerprint: str = "",
            admit: Callable[[], None] | None = None, **fields) -> VideoJob:
    try:
        with transaction.atomic():
            if admit is not None:
                admit()  # the API's throttle: counts and locks in this transaction
            job = VideoJob.objects.create(
                task_id=queue.new_task_id(), idempotency_key=idempotency_key,
                request_fingerprint=request_fingerprint, **fields)
    except IntegrityError:
        existing = replay(fields.get("user"), idempotency_key, request_fingerprint)
        if existing is None:
            raise
        return existing  # a concurrent request with the same key won the race
    job.replayed = False
    transaction.on_commit(lambda: enqueue_video_job(job))
    return job


def cancel_job(job: VideoJob, user) -> bool:
    """Cancel a queued video job (its queue message is revoked; the worker also skips it),
    or a running one whose worker is gone. False when it runs on a live worker or ended."""
    check_manage(user, job)
    now = timezone.now()
    updated = VideoJob.objects.filter(pk=job.pk, status=VideoJob.Status.QUEUED).update(
        status=VideoJob.Status.CANCELLED, finished_at=now, error="Cancelled by the editor.")
    if updated and job.task_id:
        try:
            queue.revoke(job.task_id)
        except Exception:
            logger.warning("Could not revoke task %s", job.task_id, exc_info=True)
    if not updated:
        updated = orphaned_jobs(now).filter(pk=job.pk).update(
            status=VideoJob.Status.CANCELLED, finished_at=now,
            error="Cancelled by the editor (the worker running it had stopped).")
    job.refresh_from_db()
    return bool(updated)


def submit_interpolate_job(*, user, media, factor=2, mode="fps", engine="model",
                           collection=None, source=VideoJob.Source.ADMIN,
                           idempotency_key: str = "", admit=None) -> VideoJob:
    """2x/4x frame rate (``mode="fps"``) or slow motion (``"slowmo"``) of a library video;
    the result is a new video in ``collection`` (default: the source's). With a key already
    used for the same request, returns that job (``job.replayed``)."""
    if media is None:
        raise JobError("Choose a video.", "media")
    if media.type != "video":
        raise JobError(f"“{media.title}” is {media.type}, not a video.", "media")
    validation.check_video_source(user, media)
    factor = validation.clean_factor(factor)
    mode = validation.clean_mode(mode)
    request_fp = jobs_submit.fingerprint(
        kind="interpolate", media=media.pk, factor=factor, mode=mode, engine=engine or "model",
        collection=getattr(collection, "pk", None))
    existing = replay(user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    engine = validation.clean_engine(engine)
    collection = collection or media.collection
    validation.check_can_add_media(user, collection)
    return _create(idempotency_key, request_fp, admit,
                   kind=VideoJob.Kind.INTERPOLATE, source=source, user=user,
                   collection=collection, source_media_id=media.pk,
                   source_title=media.title[:255], engine=engine,
                   params={"factor": factor, "mode": mode})


def submit_stills_job(*, user, images, seconds=None, fps=None, hold=None, engine="model",
                      collection=None, title: str = "", source=VideoJob.Source.ADMIN,
                      idempotency_key: str = "", admit=None) -> VideoJob:
    """A clip through ``images`` (2..8, in order) of ``seconds`` at ``fps``, holding each
    still ``hold`` seconds; a new video in ``collection`` (default: the first image's)."""
    images = [i for i in images if i is not None]
    validation.check_stills(user, images)
    seconds, fps, hold = validation.clean_clip(seconds, fps, hold)
    request_fp = jobs_submit.fingerprint(
        kind="stills", images=[i.pk for i in images], seconds=seconds, fps=fps, hold=hold,
        engine=engine or "model", collection=getattr(collection, "pk", None), title=title or "")
    existing = replay(user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    engine = validation.clean_engine(engine)
    library.media_model()
    collection = collection or images[0].collection
    validation.check_can_add_media(user, collection)
    return _create(idempotency_key, request_fp, admit,
                   kind=VideoJob.Kind.STILLS, source=source, user=user, collection=collection,
                   source_images=[{"id": i.pk, "title": i.title} for i in images],
                   source_title=(title or f"Clip: {images[0].title}")[:255], engine=engine,
                   params={"seconds": seconds, "fps": fps, "hold": hold})
