"""The life of an ML rendition: request (web), generate + swap (worker), sweep, clean up.

Web side (``request_ml_rendition``, called from ``operations.GanOperation.run``): the page gets
a correct-size fallback from Wagtail at once; a ``RenditionJob`` row keyed by (image,
file_hash, filter_spec, focal_point_key) is inserted in a savepoint - the unique constraint
makes the enqueue happen exactly once whatever the concurrency - and ``generate_rendition``
is enqueued when that transaction commits.

Worker side (``run_rendition_job``): wait until Wagtail's fallback row exists, render the
spec with the model (Wagtail's own ``generate_rendition_file`` with our operations in worker
mode), store the result under a NEW file name, swap it into the rendition with a
compare-and-swap guarded by the rendition's old file name and the image's ``file_hash``,
purge the rendition cache, and schedule the fallback file for deletion after
``FALLBACK_GRACE_SECONDS`` (so cached HTML with the old URL never 404s).

``sweep()`` (a periodic Huey task and ``manage.py gan_sweep``) re-enqueues lost jobs, expires
stuck ones and deletes superseded fallback files whose grace period is over.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from .conf import gan_settings

logger = logging.getLogger(__name__)

# How long the worker waits for the web request to insert the fallback rendition row (the
# task is enqueued from inside ``Filter.run``, before Wagtail's INSERT) before creating the
# rendition itself.
ROW_WAIT_SECONDS = 30
ROW_RETRY_DELAY = 1
MAX_STATUS_URLS = 50

_worker_ctx: contextvars.ContextVar[WorkerContext | None] = contextvars.ContextVar(
    "wagtail_gan_worker", default=None
)


class PermanentFailure(Exception):
    """A job that must not be retried (bad input such as a missing style image)."""


class LimitSkip(PermanentFailure):
    """Input or output beyond MAX_INPUT_PIXELS / MAX_OUTPUT_PIXELS: not sent to a model."""


@dataclass
class WorkerContext:
    filter: object
    job: object | None = None
    model_ids: list[str] = field(default_factory=list)
    duration: float = 0.0


def current_worker_context() -> WorkerContext | None:
    return _worker_ctx.get()


# -- helpers used by the operations -------------------------------------------------------


def is_animated(image, env) -> bool:
    """True for an animated GIF/WebP source (passed through unchanged)."""
    if env.get("original-format") not in ("gif", "webp"):
        return False
    if "gan-animated" not in env:
        from PIL import Image as PILImage

        try:
            with image.open_file() as fh, PILImage.open(fh) as pil:
                env["gan-animated"] = bool(getattr(pil, "is_animated", False))
        except Exception:  # unreadable: let Wagtail's own error handling deal with it
            env["gan-animated"] = False
    return env["gan-animated"]


def capped_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled down (aspect kept) to fit MAX_OUTPUT_PIXELS."""
    width, height = size
    cap = int(gan_settings.MAX_OUTPUT_PIXELS)
    if width * height <= cap:
        return width, height
    factor = (cap / (width * height)) ** 0.5
    return max(1, int(width * factor)), max(1, int(height * factor))


def upscale_model_scale(model_id: str | None) -> int | None:
    if not model_id:
        return None
    try:
        from .models_zoo import registry

        return registry.get(model_id).scale
    except Exception:
        return None


def gan_operations(filter_) -> list:
    from .operations import GanOperation

    return [op for op in filter_.operations if isinstance(op, GanOperation)]


def limit_error(filter_, input_size: tuple[int, int]) -> str:
    """Why this filter's ML ops must not run on an input of ``input_size`` ('' if fine)."""
    size = input_size
    max_in, max_out = int(gan_settings.MAX_INPUT_PIXELS), int(gan_settings.MAX_OUTPUT_PIXELS)
    for op in gan_operations(filter_):
        if size[0] * size[1] > max_in:
            return (
                f"{op.spec.text}: input {size[0]}x{size[1]} exceeds MAX_INPUT_PIXELS ({max_in}); "
                "serving the plain rendition"
            )
        size = op.output_size(size)
        if size[0] * size[1] > max_out:
            return (
                f"{op.spec.text}: output {size[0]}x{size[1]} exceeds MAX_OUTPUT_PIXELS ({max_out}); "
                "serving the plain rendition"
            )
    return ""


def _job_model():
    from .models import RenditionJob

    return RenditionJob


# -- web side -----------------------------------------------------------------------------


def request_ml_rendition(image, filter_, op, input_size, env) -> None:
    """Insert the pending row (once per key) and enqueue ``generate_rendition`` on commit."""
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
    if _pool_thread_on_sqlite():
        # One pool writer at a time: the pool's threads would otherwise contend for SQLite's
        # write lock among themselves and give up after POOL_BUSY_TIMEOUT_MS under load. A
        # write that finds the lock held by another connection (the request thread, see
        # _pool_thread_on_sqlite) hands the row to the request thread, which inserts it when
        # the request finishes (or at its own next insert); the image's other renditions in
        # this pool then hand theirs over without waiting again.
        with _pool_write_lock:
            locked_out = getattr(image, "_gan_pool_locked_out", None)
            if locked_out is None or time.monotonic() - locked_out > POOL_LOCKOUT_SECONDS:
                try:
                    _insert_job(key, problem)
                    return
                except OperationalError:
                    image._gan_pool_locked_out = time.monotonic()
        with _deferred_lock:
            _deferred.append((key, problem))
        return
    flush_deferred()
    _insert_job(key, problem)


def job_key(image, filter_) -> dict:
    """The unique key of the ``RenditionJob`` of ``filter_`` applied to ``image``."""
    return {
        "image_id": image.pk,
        "file_hash": _file_hash(image),
        "filter_spec": filter_.spec,
        "focal_point_key": filter_.get_cache_key(image),
    }


def _file_hash(image) -> str:
    """``image.file_hash``, computed if missing (images created in code have none yet), on our
    own file handle (the rendition pool's threads share this image object). It is stored with
    one UPDATE, not ``image.save()`` (whose signals would re-index the image on a page render),
    and not at all from a pool thread (no write that would wait for the request's lock)."""
    if not image.file_hash:
        from wagtail.utils.file import hash_filelike

        with image.file.storage.open(image.file.name) as fh:
            image.file_hash = hash_filelike(fh)
        if not in_rendition_pool():
            type(image).objects.filter(pk=image.pk, file_hash="").update(
                file_hash=image.file_hash
            )
    return image.file_hash


POOL_BUSY_TIMEOUT_MS = 50
POOL_LOCKOUT_SECONDS = 1.0
_pool_write_lock = threading.Lock()
_deferred: list[tuple[dict, str]] = []
_deferred_lock = threading.Lock()


def in_rendition_pool() -> bool:
    """True in the thread pool of Wagtail's ``create_renditions`` ({% picture %},
    {% srcset_image %}, ``get_renditions``)."""
    return threading.current_thread().name.startswith("ThreadPoolExecutor")


def _pool_thread_on_sqlite() -> bool:
    """True in a rendition pool thread on SQLite, whose connection then waits at most
    ``POOL_BUSY_TIMEOUT_MS`` for a write lock: the pool thread has its own connection, and if
    the request thread holds SQLite's database-wide write lock (ATOMIC_REQUESTS, a test
    transaction) while it waits for the pool, a write here would wait out the full busy
    timeout and then fail."""
    if not (in_rendition_pool() and connection.vendor == "sqlite"):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {POOL_BUSY_TIMEOUT_MS}")
    return True


def flush_deferred(**kwargs) -> None:
    """Insert job rows the rendition thread pool could not write (see request_ml_rendition).
    Connected to ``request_finished``; also run before any request-thread insert."""
    if not _deferred or in_rendition_pool():
        return
    with _deferred_lock:
        pending = _deferred[:]
        _deferred.clear()
    for key, problem in pending:
        try:
            _insert_job(key, problem)
        except Exception:  # never break a request over a job row
            logger.exception("wagtail-gan: could not record the ML rendition %s", key)


def _insert_job(key: dict, problem: str) -> None:
    RenditionJob = _job_model()
    status = RenditionJob.Status.SKIPPED if problem else RenditionJob.Status.PENDING
    task_id = "" if problem else str(uuid.uuid4())
    try:
        with transaction.atomic():
            job = RenditionJob.objects.create(**key, status=status, error=problem,
                                              task_id=task_id)
    except IntegrityError:
        _rearm_done_job(key)
        return
    if not problem:
        # robust: a queue that is down must not break the page (the sweeper re-queues later).
        transaction.on_commit(lambda: enqueue(job.pk, task_id=task_id), robust=True)


def _rearm_done_job(key: dict) -> None:
    """A fallback is being made for a key whose job is done: the ML rendition was deleted
    (e.g. renditions purged). One conditional UPDATE re-arms it, exactly once."""
    from wagtail.images import get_image_model

    RenditionJob = _job_model()
    job = RenditionJob.objects.filter(**key, status=RenditionJob.Status.DONE).first()
    if job is None:
        return
    Rendition = get_image_model().get_rendition_model()
    if job.result_name and Rendition.objects.filter(
        pk=job.rendition_id, file=job.result_name
    ).exists():
        return  # the ML rendition is still there (a request raced past the lookup)
    rows = RenditionJob.objects.filter(pk=job.pk, status=RenditionJob.Status.DONE).update(
        status=RenditionJob.Status.PENDING, result_name="", error="", updated_at=timezone.now()
    )
    if rows:
        transaction.on_commit(lambda: enqueue(job.pk), robust=True)


def enqueue(job_id: int, delay: float | None = None, task_id: str | None = None) -> None:
    """Enqueue ``generate_rendition``; ``task_id`` already stored on the row saves a write."""
    from . import tasks

    priority = tasks.priority_for("rendition")
    if delay:
        result = tasks.generate_rendition.schedule(args=(job_id,), delay=delay, priority=priority)
    else:
        result = tasks.generate_rendition(job_id, priority=priority, id=task_id)
    if task_id is None:
        new_id = getattr(result, "id", "") or ""
        _job_model().objects.filter(pk=job_id).update(task_id=new_id[:64])


# -- model run (worker mode and SYNC_RENDITIONS) ------------------------------------------


def _style_image_pixels(image_id: int):
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    try:
        style = get_image_model().objects.get(pk=image_id)
    except get_image_model().DoesNotExist:
        raise PermanentFailure(f"stylize-image{image_id}: image {image_id} does not exist") from None
    with style.open_file() as fh, PILImage.open(fh) as pil:
        pil.load()
        return pil.copy()


def run_model_operation(op, willow, image, env, filter_, worker: WorkerContext | None):
    """Run one ML operation on ``willow``; returns a Willow image of the expected size.

    In worker mode errors propagate (the job records them); with SYNC_RENDITIONS the
    fallback is served and the failure logged.
    """
    from willow.plugins.pillow import PillowImage

    from .operations import to_pil

    size = willow.get_size()
    try:
        if filter_ is not None and not env.get("gan-limits-checked"):
            env["gan-limits-checked"] = True
            problem = limit_error(filter_, size)
            if problem:
                raise LimitSkip(problem)
        from .models_zoo import engine
        from .pools import pool_strength

        style_image = None
        if "style_image" in op.spec.params:
            style_image = _style_image_pixels(op.spec.params["style_image"])
        result = engine.run_operation(op.spec, to_pil(willow), style_image=style_image,
                                      strength=pool_strength(op, filter_),
                                      progress=_heartbeat(worker))
    except Exception as exc:
        if worker is not None:
            raise
        logger.warning("wagtail-gan: SYNC_RENDITIONS %s failed for image %s: %s",
                       op.spec.text, image.pk, exc)
        _record_sync(image, filter_, env, "skipped" if isinstance(exc, LimitSkip) else "failed",
                     error=str(exc).strip().split("\n")[0][:1000])
        return op.fallback(willow, env)
    if worker is not None:
        worker.model_ids.append(result.model_id)
        worker.duration += result.duration
    else:
        _record_sync(image, filter_, env, "done", model_id=result.model_id,
                     duration=result.duration)
    out = result.image
    expected = op.output_size(size)
    if op.size_known and out.size != tuple(expected):  # layouts rely on the fallback's size
        from PIL import Image as PILImage

        out = out.resize(expected, PILImage.LANCZOS)
    return PillowImage(out)


HEARTBEAT_SECONDS = 30


def _heartbeat(worker: WorkerContext | None):
    """Progress callback that keeps a long model run's job fresh (``updated_at``), so the
    sweeper does not mistake it for a job a dead worker lost."""
    if worker is None or worker.job is None:
        return None
    last = [time.monotonic()]

    def beat(fraction: float) -> None:
        if time.monotonic() - last[0] >= HEARTBEAT_SECONDS:
            last[0] = time.monotonic()
            type(worker.job).objects.filter(pk=worker.job.pk).update(updated_at=timezone.now())

    return beat


def _record_sync(image, filter_, env, status: str, **fields) -> None:
    """SYNC_RENDITIONS: keep a job row so readiness tags and the admin listing see the result
    (one row per spec; a failure in any operation of the spec wins)."""
    if filter_ is None or image.pk is None:
        return
    if env.get("gan-sync-status") in ("failed", "skipped"):
        return
    env["gan-sync-status"] = status
    RenditionJob = _job_model()
    now = timezone.now()
    values = {"status": status, "finished_at": now, "error": "", **fields}
    try:
        key = job_key(image, filter_)
        # In the pool on SQLite: one writer at a time, never waiting for the request's lock.
        with _pool_write_lock if _pool_thread_on_sqlite() else contextlib.nullcontext():
            with transaction.atomic():
                job, created = RenditionJob.objects.get_or_create(**key, defaults=values)
            if not created:
                RenditionJob.objects.filter(pk=job.pk).update(updated_at=now, **values)
    except Exception:  # recording never breaks a page
        logger.exception("wagtail-gan: could not record the SYNC_RENDITIONS result")


# -- worker side ---------------------------------------------------------------------------


def _rendition_storage_name(rendition_model, generated_name: str) -> str:
    stem, ext = os.path.splitext(generated_name)
    return f"{stem}.gan{secrets.token_hex(3)}{ext}"


def _find_rendition(image, job):
    return image.renditions.filter(
        filter_spec=job.filter_spec, focal_point_key=job.focal_point_key
    ).first()


def _set(job, **fields) -> None:
    fields.setdefault("updated_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    type(job).objects.filter(pk=job.pk).update(**fields)


def run_rendition_job(job_id: int) -> str:
    """Worker entry point (task ``generate_rendition``). Returns the final status."""
    from wagtail.images.models import Filter

    RenditionJob = _job_model()
    Status = RenditionJob.Status
    # One query for the job and its image (the image row is needed for every pending job).
    job = RenditionJob.objects.select_related("image").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.status != Status.PENDING:
        # Done, failed, skipped or expired - or running elsewhere. Only the web side, the
        # retry path, the sweeper and the admin put a job (back) to pending.
        return job.status
    image = job.image
    current_hash = _file_hash(image)
    if current_hash != job.file_hash:
        _set(job, status=Status.EXPIRED, error="The image file was replaced; this job is stale.",
             finished_at=timezone.now())
        return job.status
    rendition = _find_rendition(image, job)
    age = (timezone.now() - job.created_at).total_seconds()
    if rendition is None and age < ROW_WAIT_SECONDS:
        # The web request enqueued us from inside Filter.run; its INSERT may not be done yet.
        enqueue(job.pk, delay=ROW_RETRY_DELAY)
        return "waiting"

    filter_ = Filter(spec=job.filter_spec)
    ctx = WorkerContext(filter=filter_, job=job)
    now = timezone.now()
    claim = {"status": Status.RUNNING, "attempts": job.attempts + 1, "started_at": now,
             "updated_at": now, "error": ""}
    if rendition is not None and rendition.file.name != job.result_name:
        # Lets the status endpoint map the fallback URL pages have to this job.
        claim.update(rendition_id=rendition.pk, fallback_name=rendition.file.name)
    claimed = RenditionJob.objects.filter(
        pk=job.pk, status=job.status, attempts=job.attempts
    ).update(**claim)
    if not claimed:  # another worker took it (a duplicate message)
        return "claimed elsewhere"
    for name, value in claim.items():
        setattr(job, name, value)
    token = _worker_ctx.set(ctx)
    try:
        generated = image.generate_rendition_file(filter_)
    except Exception as exc:
        return _record_failure(job, exc)
    finally:
        _worker_ctx.reset(token)

    try:
        size = _file_size(generated)
        new_name = _store(image, generated)
    finally:
        generated.close()
    job.model_id, job.duration = ",".join(ctx.model_ids)[:128], ctx.duration
    outcome = _swap_in(image, job, rendition, new_name, size)
    if outcome != "done":
        _storage().delete(new_name)  # nothing references our copy
        return Status.DONE if outcome == "done elsewhere" else outcome
    logger.info("wagtail-gan: %s of image %s swapped in (%s, %.2fs)", job.filter_spec, image.pk,
                job.model_id, ctx.duration)
    return Status.DONE


def _storage():
    from wagtail.images import get_image_model

    Rendition = get_image_model().get_rendition_model()
    return Rendition._meta.get_field("file").storage


def _store(image, generated) -> str:
    Rendition = image.get_rendition_model()
    field_ = Rendition._meta.get_field("file")
    probe = Rendition(image=image)
    name = field_.generate_filename(probe, _rendition_storage_name(Rendition, generated.name))
    generated.seek(0)
    return field_.storage.save(name, generated)


def _file_size(generated) -> tuple[int, int]:
    from PIL import Image as PILImage

    generated.seek(0)
    with PILImage.open(generated) as pil:  # reads the header only
        size = pil.size
    generated.seek(0)
    return size


def _swap_in(image, job, rendition, new_name: str, size: tuple[int, int]) -> str:
    """Compare-and-swap the stored result into the rendition row; returns the job status."""
    Rendition = image.get_rendition_model()
    Status = type(job).Status
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
            rendition = _find_rendition(image, job)
            if rendition is None:
                return _retry_later(job, "rendition row vanished during the swap")
        else:
            _finish(image, job, created, new_name, old_name=None)
            purge_cache(image, job)
            return "done"
    old_name = rendition.file.name
    with transaction.atomic():  # swap and job bookkeeping commit together
        swapped = Rendition.objects.filter(
            pk=rendition.pk, file=old_name, image__file_hash=job.file_hash
        ).update(file=new_name, width=width, height=height)
        if swapped:
            _finish(image, job, rendition, new_name, old_name=old_name)
    if swapped:
        purge_cache(image, job)  # after the commit: a reader can no longer cache the fallback
    else:
        if type(job).objects.filter(pk=job.pk, status=Status.DONE).exists():
            return "done elsewhere"  # a duplicate run (re-queued while slow) finished first
        fresh_hash = type(image).objects.filter(pk=image.pk).values_list("file_hash", flat=True)
        if not fresh_hash or fresh_hash[0] != job.file_hash:
            _set(job, status=Status.EXPIRED, finished_at=timezone.now(),
                 error="The image file was replaced while the model ran; result discarded.")
            return Status.EXPIRED
        return _retry_later(job, "the rendition changed while the model ran")
    return "done"


PURGE_AGAIN_AFTER = 5  # seconds


def purge_cache(image, job, again: bool = True) -> None:
    """Drop the rendition's entry from Wagtail's renditions cache. A request that read the
    row just before the swap committed may re-cache the fallback a moment later, so the
    purge is repeated once, ``PURGE_AGAIN_AFTER`` seconds later, by a small task."""
    Rendition = image.get_rendition_model()
    image.file_hash = job.file_hash
    Rendition.cache_backend.delete(
        Rendition.construct_cache_key(image, job.focal_point_key, job.filter_spec)
    )
    if again:
        from . import tasks

        tasks.purge_rendition_cache.schedule(args=(job.pk,), delay=PURGE_AGAIN_AFTER,
                                             priority=tasks.priority_for("rendition"))


def purge_job_cache(job_id: int) -> None:
    from wagtail.images import get_image_model

    job = _job_model().objects.filter(pk=job_id).first()
    image = job and get_image_model().objects.filter(pk=job.image_id).first()
    if image is not None:
        purge_cache(image, job, again=False)


def _finish(image, job, rendition, new_name, old_name) -> None:
    # Fallback files orphaned by Wagtail's insert race are not looked for here (that lists
    # the renditions folder): the sweeper does it for this job's superseded names once their
    # grace period is over (``delete_superseded_files``).
    superseded = list(job.superseded_files or [])
    if old_name and old_name not in superseded:
        superseded.append(old_name)
    _set(
        job, status=type(job).Status.DONE, finished_at=timezone.now(), error="",
        result_name=new_name, fallback_name=old_name or "", rendition_id=rendition.pk,
        superseded_files=superseded, model_id=job.model_id, duration=job.duration,
        delete_after=timezone.now() + timedelta(seconds=int(gan_settings.FALLBACK_GRACE_SECONDS)),
    )


_SUFFIX = re.compile(r"_[A-Za-z0-9]{7}$")  # what Django's storage adds to a taken name


def _race_losers(names) -> list[str]:
    """Fallback files written by concurrent requests that lost Wagtail's get_or_create race
    for any of ``names`` and that no rendition references. Django's storage names them by
    inserting ``_XXXXXXX`` before the first dot: ``photo.width-40.stylize-7.png`` ->
    ``photo_AbC1234.width-40.stylize-7.png``. Called by the sweeper only (never on a job's
    path), for all the names whose grace period is over at once: each folder is listed once."""
    from django.core.files.storage import FileSystemStorage

    storage = _storage()
    if not isinstance(storage, FileSystemStorage):
        return []  # listing a remote bucket would cost more than the orphans
    # folder -> what follows the first dot -> the names before it (with and without a
    # storage suffix) that a loser of one of ``names`` can have.
    wanted: dict[str, dict[str, set[str]]] = {}
    for name in set(names):
        directory, base = os.path.split(name)
        root, _, rest = base.partition(".")
        wanted.setdefault(directory, {}).setdefault(rest, set()).update(
            {root, _SUFFIX.sub("", root)})
    found = []
    for directory, by_rest in wanted.items():
        try:
            # os.listdir, not storage.listdir (which stats every entry to split off folders):
            # the renditions folder holds every rendition of the site; one pass, set lookups.
            files = os.listdir(storage.path(directory))
        except OSError:
            continue
        for f in files:
            froot, _, frest = f.partition(".")
            roots = by_rest.get(frest)
            if roots is None:
                continue
            if froot in roots or (
                len(froot) > 8 and froot[-8] == "_" and _SUFFIX.sub("", froot) in roots
            ):
                found.append(f"{directory}/{f}" if directory else f)
    names = set(names)
    return [n for n in found if n not in names and not _referenced(n)]


def _referenced(name: str) -> bool:
    from wagtail.images import get_image_model

    Rendition = get_image_model().get_rendition_model()
    return Rendition.objects.filter(file=name).exists()


def _retry_later(job, reason: str) -> str:
    Status = type(job).Status
    if job.attempts >= int(gan_settings.RENDITION_MAX_ATTEMPTS):
        _set(job, status=Status.FAILED, error=f"Gave up after {job.attempts} attempts: {reason}",
             finished_at=timezone.now())
        return Status.FAILED
    delay = backoff_delay(job.attempts)
    _set(job, status=Status.PENDING, error=f"Retrying in {delay}s: {reason}")
    enqueue(job.pk, delay=delay)
    return Status.PENDING


def backoff_delay(attempts: int) -> int:
    return min(300, 5 * 2 ** max(0, attempts - 1))


def _record_failure(job, exc: Exception) -> str:
    from .models_zoo.errors import EngineError, LimitExceeded

    Status = type(job).Status
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, (LimitSkip, LimitExceeded)):
        logger.warning("wagtail-gan: %s of image %s skipped: %s", job.filter_spec, job.image_id,
                       message)
        _set(job, status=Status.SKIPPED, error=message, finished_at=timezone.now())
        return Status.SKIPPED
    if isinstance(exc, (EngineError, PermanentFailure)):
        logger.warning("wagtail-gan: %s of image %s failed: %s", job.filter_spec, job.image_id,
                       message)
        _set(job, status=Status.FAILED, error=message, finished_at=timezone.now())
        return Status.FAILED
    logger.exception("wagtail-gan: %s of image %s raised", job.filter_spec, job.image_id)
    return _retry_later(job, f"{type(exc).__name__}: {message}")


# -- sweeper and cleanup ------------------------------------------------------------------


def sweep(now=None) -> dict[str, int]:
    """Re-enqueue lost jobs, expire stuck ones, delete superseded files past their grace."""
    RenditionJob = _job_model()
    Status = RenditionJob.Status
    now = now or timezone.now()
    stale = now - timedelta(seconds=int(gan_settings.RENDITION_STALE_SECONDS))
    expire = now - timedelta(seconds=int(gan_settings.RENDITION_EXPIRE_SECONDS))
    counts = {"requeued": 0, "expired": 0, "failed": 0, "files_deleted": 0}
    active = RenditionJob.objects.filter(status__in=[Status.PENDING, Status.RUNNING])
    for job in active.filter(created_at__lt=expire):
        if RenditionJob.objects.filter(pk=job.pk, status=job.status).update(
            status=Status.EXPIRED, finished_at=now, updated_at=now,
            error=f"No result after {gan_settings.RENDITION_EXPIRE_SECONDS}s; expired.",
        ):
            counts["expired"] += 1
    for job in active.filter(updated_at__lt=stale):
        if job.attempts >= int(gan_settings.RENDITION_MAX_ATTEMPTS):
            if RenditionJob.objects.filter(pk=job.pk, status=job.status).update(
                status=Status.FAILED, finished_at=now, updated_at=now,
                error=(job.error or "lost by the worker") + f" (gave up after {job.attempts} attempts)",
            ):
                counts["failed"] += 1
            continue
        # Conditional update: a concurrent sweeper cannot re-enqueue the same job twice.
        if RenditionJob.objects.filter(pk=job.pk, status=job.status, updated_at=job.updated_at).update(
            status=Status.PENDING, updated_at=now,
            error=f"Re-queued by the sweeper ({'worker lost the job' if job.status == Status.RUNNING else 'no progress'})",
        ):
            enqueue(job.pk)
            counts["requeued"] += 1
    counts["files_deleted"] = delete_superseded_files(now)
    return counts


def delete_superseded_files(now=None) -> int:
    RenditionJob = _job_model()
    now = now or timezone.now()
    storage = _storage()
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
    for name in names + _race_losers(names):
        if name not in protected and not _referenced(name):
            storage.delete(name)
            deleted += 1
    RenditionJob.objects.filter(pk__in=[job.pk for job in due]).update(
        superseded_files=[], delete_after=None)
    return deleted


def delete_job_files(job) -> None:
    """A job row is deleted (its image was deleted): its superseded files go with it."""
    storage = _storage()
    names = list(job.superseded_files or [])
    for name in names + _race_losers(names):
        if not _referenced(name):
            storage.delete(name)


# -- readiness ----------------------------------------------------------------------------


def rendition_status(image, spec: str) -> str:
    """Status of the ML version of ``spec`` for ``image``: "ready", "pending", "running",
    "failed", "skipped", "expired", "plain" (no ML operation in the spec) or "none"."""
    from wagtail.images.models import Filter

    filter_ = image.clean_filter_for_svg(Filter(spec=spec))
    if not gan_operations(filter_):
        return "plain"
    RenditionJob = _job_model()
    job = RenditionJob.objects.filter(**job_key(image, filter_)).first()
    if job is None:
        return "none"
    return "ready" if job.status == RenditionJob.Status.DONE else job.status


def status_for_urls(urls: list[str]) -> dict[str, dict]:
    """For the public status endpoint: rendition URLs (as a page has them) -> status and the
    URL to use now. Looks only at indexed ``RenditionJob`` columns (``fallback_name``,
    ``result_name``; Wagtail's rendition table has no index on its file column). URLs not
    known yet (a job the worker has not claimed) or not ML renditions are left out."""
    from django.db.models import Q
    from wagtail.images import get_image_model

    Rendition = get_image_model().get_rendition_model()
    RenditionJob = _job_model()
    storage = _storage()
    from urllib.parse import unquote, urlsplit

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
    jobs = list(RenditionJob.objects.filter(
        Q(fallback_name__in=list(names)) | Q(result_name__in=list(names))
    ).exclude(rendition_id=None))
    current = Rendition.objects.in_bulk([j.rendition_id for j in jobs])
    for job in jobs:
        rendition = current.get(job.rendition_id)
        if rendition is None:
            continue
        for name in (job.fallback_name, job.result_name):
            if name not in names:
                continue
            ready = job.status == RenditionJob.Status.DONE and rendition.file.name == job.result_name
            out[names[name]] = {
                "status": "ready" if ready else job.status,
                "url": rendition.url if ready else names[name],
                "width": rendition.width, "height": rendition.height,
            }
    return out


# -- pre-generation ------------------------------------------------------------------------


def pregenerate_image(image_id: int, specs: list[str]) -> int:
    """Request ``specs`` for one image (web mode: fallback + one job each). Returns the count
    of specs requested; invalid specs are logged and skipped."""
    from wagtail.images import get_image_model
    from wagtail.images.exceptions import InvalidFilterSpecError
    from wagtail.images.models import SourceImageIOError

    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return 0
    done = 0
    for spec in specs:
        try:
            image.get_rendition(spec)
            done += 1
        except (InvalidFilterSpecError, SourceImageIOError) as exc:
            logger.warning("wagtail-gan: pre-generating %s for image %s: %s", spec, image_id, exc)
    return done


def on_image_saved(sender, instance, created, **kwargs) -> None:
    """post_save of the image model: queue PREGENERATE_SPECS for a new or replaced file."""
    specs = list(gan_settings.PREGENERATE_SPECS or [])
    if not specs or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "file" not in update_fields:
        return
    previous = getattr(instance, "_gan_previous_file", None)
    if not created and previous == instance.file.name:
        return
    from . import tasks

    image_id = instance.pk
    transaction.on_commit(lambda: tasks.pregenerate_renditions(
        image_id, specs, priority=tasks.priority_for("background")), robust=True)


def on_image_pre_save(sender, instance, **kwargs) -> None:
    if gan_settings.PREGENERATE_SPECS and instance.pk and not kwargs.get("raw"):
        instance._gan_previous_file = (
            sender.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
        )


def on_job_deleted(sender, instance, **kwargs) -> None:
    try:
        delete_job_files(instance)
    except Exception:  # never block a deletion
        logger.exception("wagtail-gan: could not delete superseded files of job %s", instance.pk)
