"""Submitting video jobs (web tier): validate, check permissions (no row on refusal), then
``work.submit`` creates the ``VideoJob`` and asks for the work once the transaction commits
(``queue.request("video")``), with idempotency keys (one key space across image and video
jobs) and the per-user budget (``work.budget``) as for image jobs. Cancelling is here too.
"""

from __future__ import annotations

from wagtail_gan.exceptions import JobError
from wagtail_gan.models import VideoJob
from wagtail_gan.permissions import check_manage
from wagtail_gan.work import submit as work_submit

from . import library, validation


def cancel_job(job: VideoJob, user) -> bool:
    """Cancel a queued video job (its queue message is revoked; the worker also skips it),
    or a running one whose worker is gone. False when it runs on a live worker or ended."""
    check_manage(user, job)
    return work_submit.cancel(job)


def submit_interpolate_job(*, user, media, factor=2, mode="fps", engine="model",
                           collection=None, source=VideoJob.Source.ADMIN,
                           idempotency_key: str = "") -> VideoJob:
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
    request_fp = work_submit.fingerprint(
        kind="interpolate", media=media.pk, factor=factor, mode=mode, engine=engine or "model",
        collection=getattr(collection, "pk", None))
    existing = work_submit.replay(VideoJob, user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    engine = validation.clean_engine(engine)
    collection = collection or media.collection
    validation.check_can_add_media(user, collection)
    return work_submit.create(
        VideoJob, idempotency_key=idempotency_key, request_fingerprint=request_fp,
        kind=VideoJob.Kind.INTERPOLATE, source=source, user=user, collection=collection,
        source_media_id=media.pk, source_title=media.title[:255], engine=engine,
        params={"factor": factor, "mode": mode})


def submit_stills_job(*, user, images, seconds=None, fps=None, hold=None, engine="model",
                      collection=None, title: str = "", source=VideoJob.Source.ADMIN,
                      idempotency_key: str = "") -> VideoJob:
    """A clip through ``images`` (2..8, in order) of ``seconds`` at ``fps``, holding each
    still ``hold`` seconds; a new video in ``collection`` (default: the first image's)."""
    images = [i for i in images if i is not None]
    validation.check_stills(user, images)
    seconds, fps, hold = validation.clean_clip(seconds, fps, hold, len(images))
    title = validation.clean_title(title)
    request_fp = work_submit.fingerprint(
        kind="stills", images=[i.pk for i in images], seconds=seconds, fps=fps, hold=hold,
        engine=engine or "model", collection=getattr(collection, "pk", None), title=title or "")
    existing = work_submit.replay(VideoJob, user, idempotency_key, request_fp)
    if existing is not None:
        return existing
    engine = validation.clean_engine(engine)
    library.media_model()
    collection = collection or images[0].collection
    validation.check_can_add_media(user, collection)
    return work_submit.create(
        VideoJob, idempotency_key=idempotency_key, request_fingerprint=request_fp,
        kind=VideoJob.Kind.STILLS, source=source, user=user, collection=collection,
        source_images=[{"id": i.pk, "title": i.title} for i in images],
        source_title=(title or f"Clip: {images[0].title}")[:255], engine=engine,
        params={"seconds": seconds, "fps": fps, "hold": hold})
