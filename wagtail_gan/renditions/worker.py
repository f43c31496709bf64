"""The worker's side of an ML rendition (task ``generate_rendition``): wait until Wagtail's
fallback row exists, render the spec with the model (Wagtail's own ``generate_rendition_file``
with our filters in worker mode), store the result under a NEW file name, swap it into the
rendition with a compare-and-swap guarded by the rendition's old file name and the image's
``file_hash``, purge the rendition cache, and schedule the fallback file for deletion after
``FALLBACK_GRACE_SECONDS`` (so cached HTML with the old URL never 404s).

A job whose model is not installed waits for it (``work.waiting``: status "waiting", pending
again once the model is installed). Returns an :class:`~wagtail_gan.work.outcome.Outcome`; the
task acts on it (retry later, purge the cache again, re-queue): nothing here enqueues.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import RenditionJob
from wagtail_gan.work import context, liveness, waiting
from wagtail_gan.work.failures import classify
from wagtail_gan.work.outcome import Outcome, backoff_delay
from wagtail_gan.work.storage import rendition_storage

from . import compat, model_run
from .request import file_hash

logger = logging.getLogger(__name__)
Status = RenditionJob.Status

# How long the worker waits for the web request to insert the fallback rendition row (the
# task is requested from inside ``Filter.run``, before Wagtail's INSERT) before creating the
# rendition itself.
ROW_WAIT_SECONDS = 30
ROW_RETRY_DELAY = 1
PURGE_AGAIN_AFTER = 5  # seconds


def _set(job, **fields) -> None:
    fields.setdefault("updated_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    RenditionJob.objects.filter(pk=job.pk).update(**fields)


def run_rendition_job(job_id: int) -> Outcome:
    """Worker entry point (task ``generate_rendition``)."""
    # One query for the job and its image (the image row is needed for every pending job).
    job = RenditionJob.objects.select_related("image").filter(pk=job_id).first()
    if job is None:
        return Outcome("missing")
    if job.status != Status.PENDING:
        # Done, failed, skipped or expired - or running elsewhere. Only the web side, the
        # retry path, the sweeper and the admin put a job (back) to pending.
        return Outcome(job.status)
    image = job.image
    if file_hash(image) != job.file_hash:
        _set(job, status=Status.EXPIRED, error="The image file was replaced; this job is stale.",
             finished_at=timezone.now())
        return Outcome(job.status)
    rendition = compat.find_rendition(image, job.filter_spec, job.focal_point_key)
    age = (timezone.now() - job.created_at).total_seconds()
    if rendition is None and age < ROW_WAIT_SECONDS:
        # The web request asked for us from inside Filter.run; its INSERT may not be done yet.
        return Outcome("waiting", retry_in=ROW_RETRY_DELAY)

    filter_ = Filter(spec=job.filter_spec)
    ctx = context.WorkerContext(filter=filter_, job=job, run=model_run.run_model_operation)
    now = timezone.now()
    claim = {"status": Status.RUNNING, "attempts": job.attempts + 1, "started_at": now,
             "updated_at": now, "error": "", "worker_id": liveness.worker_id()}
    if rendition is not None and rendition.file.name != job.result_name:
        # Lets the status endpoint map the fallback URL pages have to this job, and the
        # names of race losers (same canonical name, another storage suffix) too.
        claim.update(rendition_id=rendition.pk, fallback_name=rendition.file.name,
                     canonical_name=compat.canonical_name(image, rendition.file.name))
    claimed = RenditionJob.objects.filter(
        pk=job.pk, status=job.status, attempts=job.attempts
    ).update(**claim)
    if not claimed:  # another worker took it (a duplicate message)
        return Outcome("claimed elsewhere")
    for name, value in claim.items():
        setattr(job, name, value)
    with liveness.running(RenditionJob, job.pk, "updated_at"):
        token = context.enter(ctx)
        try:
            generated = image.generate_rendition_file(filter_)
        except Exception as exc:
            return record_failure(job, exc)
        finally:
            context.leave(token)

    try:
        size = _file_size(generated)
        new_name = store(image, generated)
    finally:
        generated.close()
    job.model_id, job.duration = ",".join(ctx.model_ids)[:128], ctx.duration
    outcome = _swap_in(image, job, rendition, new_name, size)
    if outcome.status != Status.DONE or outcome.detail == "done elsewhere":
        rendition_storage().delete(new_name)  # nothing references our copy
        return outcome
    logger.info("wagtail-gan: %s of image %s swapped in (%s, %.2fs)", job.filter_spec, image.pk,
                job.model_id, ctx.duration)
    return outcome


def store(image, generated) -> str:
    Rendition = image.get_rendition_model()
    field_ = Rendition._meta.get_field("file")
    stem, ext = os.path.splitext(generated.name)
    name = field_.generate_filename(Rendition(image=image),
                                    f"{stem}.gan{secrets.token_hex(3)}{ext}")
    generated.seek(0)
    return field_.storage.save(name, generated)


def _file_size(generated) -> tuple[int, int]:
    generated.seek(0)
    with PILImage.open(generated) as pil:  # reads the header only
        size = pil.size
    generated.seek(0)
    return size


def _swap_in(image, job, rendition, new_name: str, size: tuple[int, int]) -> Outcome:
    """Compare-and-swap the stored result into the rendition row."""
    Rendition = image.get_rendition_model()
    width, height = size
    if rendition is None:
        # No fallback row after waiting: create the rendition ourselves.
        try:
            with transaction.atomic():
                created = Rendition.objects.create(
                    image=image, filter_spec=job.filter_spec,
                    focal_point_key=job.focal_point_key, file=new_name,
                )
        except IntegrityError:
            rendition = compat.find_rendition(image, job.filter_spec, job.focal_point_key)
            if rendition is None:
                return retry_later(job, "rendition row vanished during the swap")
        else:
            _finish(job, created, new_name, old_name=None)
            purge_cache(image, job)
            return Outcome(Status.DONE, purge_again_in=PURGE_AGAIN_AFTER)
    old_name = rendition.file.name
    with transaction.atomic():  # swap and job bookkeeping commit together
        swapped = Rendition.objects.filter(
            pk=rendition.pk, file=old_name, image__file_hash=job.file_hash
        ).update(file=new_name, width=width, height=height)
        if swapped:
            _finish(job, rendition, new_name, old_name=old_name)
    if swapped:
        purge_cache(image, job)  # after the commit: a reader can no longer cache the fallback
        return Outcome(Status.DONE, purge_again_in=PURGE_AGAIN_AFTER)
    if RenditionJob.objects.filter(pk=job.pk, status=Status.DONE).exists():
        # A duplicate run (re-queued while slow) finished first.
        return Outcome(Status.DONE, detail="done elsewhere")
    fresh_hash = type(image).objects.filter(pk=image.pk).values_list("file_hash", flat=True)
    if not fresh_hash or fresh_hash[0] != job.file_hash:
        _set(job, status=Status.EXPIRED, finished_at=timezone.now(),
             error="The image file was replaced while the model ran; result discarded.")
        return Outcome(Status.EXPIRED)
    return retry_later(job, "the rendition changed while the model ran")


def purge_cache(image, job) -> None:
    """Drop the rendition's entry from Wagtail's renditions cache. A request that read the
    row just before the swap committed may re-cache the fallback a moment later, so the task
    purges once more, ``PURGE_AGAIN_AFTER`` seconds later (``Outcome.purge_again_in``)."""
    compat.purge_cache_entry(image, job.filter_spec, job.focal_point_key, job.file_hash)


def purge_job_cache(job_id: int) -> None:
    job = RenditionJob.objects.filter(pk=job_id).first()
    image = job and get_image_model().objects.filter(pk=job.image_id).first()
    if image is not None:
        purge_cache(image, job)


def _finish(job, rendition, new_name, old_name) -> None:
    # Fallback files orphaned by Wagtail's insert race are not looked for here (that lists
    # the renditions folder): the sweeper does it for this job's superseded names once their
    # grace period is over (``sweeper.delete_superseded_files``).
    superseded = list(job.superseded_files or [])
    if old_name and old_name not in superseded:
        superseded.append(old_name)
    _set(
        job, status=Status.DONE, finished_at=timezone.now(), error="",
        result_name=new_name, fallback_name=old_name or "", rendition_id=rendition.pk,
        superseded_files=superseded, model_id=job.model_id, duration=job.duration,
        delete_after=timezone.now() + timedelta(seconds=int(gan_settings.FALLBACK_GRACE_SECONDS)),
    )


def retry_later(job, reason: str) -> Outcome:
    if job.attempts >= int(gan_settings.RENDITION_MAX_ATTEMPTS):
        _set(job, status=Status.FAILED, error=f"Gave up after {job.attempts} attempts: {reason}",
             finished_at=timezone.now())
        return Outcome(Status.FAILED)
    delay = backoff_delay(job.attempts)
    _set(job, status=Status.PENDING, error=f"Retrying in {delay}s: {reason}")
    return Outcome(Status.PENDING, retry_in=delay)


def record_failure(job, exc: Exception) -> Outcome:
    model_id = waiting.waits(exc, job)
    if model_id:  # only its model is missing: it waits for it, and runs once it is installed
        rows = RenditionJob.objects.filter(pk=job.pk, status=Status.RUNNING)
        outcome = waiting.wait(rows, model_id)
        if outcome.status != "gone":
            return outcome
    failure = classify(exc)
    if failure.kind == "retry":
        logger.exception("wagtail-gan: %s of image %s raised", job.filter_spec, job.image_id)
        return retry_later(job, failure.message)
    status = Status.SKIPPED if failure.kind == "skip" else Status.FAILED
    logger.warning("wagtail-gan: %s of image %s %s: %s", job.filter_spec, job.image_id,
                   "skipped" if failure.kind == "skip" else "failed", failure.message)
    _set(job, status=status, error=failure.message, finished_at=timezone.now())
    return Outcome(status)
