"""Submitting video jobs (web tier): validate, check permissions (no row on refusal), create
the ``VideoJob`` and ask for the work once the transaction commits (``queue.request("video")``).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from wagtail_gan import queue
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import VideoJob

from . import library, validation

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


def _create(**fields) -> VideoJob:
    with transaction.atomic():
        job = VideoJob.objects.create(task_id=queue.new_task_id(), **fields)
        transaction.on_commit(lambda: enqueue_video_job(job))
    return job


def submit_interpolate_job(*, user, media, factor=2, mode="fps", engine="model",
                           collection=None, source=VideoJob.Source.ADMIN) -> VideoJob:
    """2x/4x frame rate (``mode="fps"``) or slow motion (``"slowmo"``) of a library video;
    the result is a new video in ``collection`` (default: the source's)."""
    if media is None:
        raise JobError("Choose a video.", "media")
    if media.type != "video":
        raise JobError(f"“{media.title}” is {media.type}, not a video.", "media")
    validation.check_video_source(user, media)
    factor = validation.clean_factor(factor)
    mode = validation.clean_mode(mode)
    engine = validation.clean_engine(engine)
    collection = collection or media.collection
    validation.check_can_add_media(user, collection)
    return _create(kind=VideoJob.Kind.INTERPOLATE, source=source, user=user,
                   collection=collection, source_media_id=media.pk,
                   source_title=media.title[:255], engine=engine,
                   params={"factor": factor, "mode": mode})


def submit_stills_job(*, user, images, seconds=None, fps=None, hold=None, engine="model",
                      collection=None, title: str = "",
                      source=VideoJob.Source.ADMIN) -> VideoJob:
    """A clip through ``images`` (2..8, in order) of ``seconds`` at ``fps``, holding each
    still ``hold`` seconds; a new video in ``collection`` (default: the first image's)."""
    images = [i for i in images if i is not None]
    validation.check_stills(user, images)
    seconds, fps, hold = validation.clean_clip(seconds, fps, hold)
    engine = validation.clean_engine(engine)
    library.media_model()
    collection = collection or images[0].collection
    validation.check_can_add_media(user, collection)
    return _create(kind=VideoJob.Kind.STILLS, source=source, user=user, collection=collection,
                   source_images=[{"id": i.pk, "title": i.title} for i in images],
                   source_title=(title or f"Clip: {images[0].title}")[:255], engine=engine,
                   params={"seconds": seconds, "fps": fps, "hold": hold})
