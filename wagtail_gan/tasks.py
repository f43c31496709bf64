"""Huey tasks: THE seam between the web tier and the worker.

Every task, every enqueue and every priority is here. Feature code asks for work with
``wagtail_gan.queue.request(kind, ...)``; :func:`on_work_requested` (connected when this module
is imported: ``AppConfig.ready`` and djhuey's autodiscovery import it) puts the task on the
queue. Task bodies call worker functions that return an :class:`~wagtail_gan.work.outcome.Outcome`
and act on it: retry later (``RetryTask``), re-queue jobs, purge a cache again. Nothing this
module calls imports it back. The worker functions import ``models_zoo.engine`` (torch-free at
import); models load on first use, in the worker.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, task
from huey.exceptions import RetryTask

from .conf import gan_settings
from .jobs import worker as job_worker
from .models import GenerationJob, ModelTask, RenditionJob, VideoJob
from .models_admin import worker as model_worker
from .models_zoo.signals import model_installed
from .queue import work_requested
from .renditions import pregenerate as rendition_pregenerate
from .renditions import sweeper as rendition_sweeper
from .renditions import worker as rendition_worker
from .video import worker as video_worker
from .work import fairness, liveness, sweep, waiting
from .work.outcome import Outcome

logger = logging.getLogger(__name__)


def priority_for(kind: str) -> int:
    """Huey priority for a job kind: interactive editor/API jobs jump ahead of renditions."""
    return {
        "interactive": gan_settings.PRIORITY_INTERACTIVE,
        "rendition": gan_settings.PRIORITY_RENDITION,
    }.get(kind, gan_settings.PRIORITY_BACKGROUND)


def interactive_priority(model, job_id: int) -> float:
    """An image or video job's priority: the interactive one, lowered by a fraction for each
    job of its owner ahead of it (``work.fairness``: per-user round-robin)."""
    return fairness.priority(priority_for("interactive"), fairness.ahead(model, job_id))


@task(name="wagtail_gan.ping")
def ping(value: str = "pong") -> str:
    """Round trip used by ``gan_worker_check`` and the smoke test: proves a consumer is alive."""
    return value


def act_on(outcome: Outcome, requeue) -> str:
    """Do what a worker or sweeper function asked for: re-queue jobs, retry this task."""
    for job_id in outcome.requeue:
        requeue(job_id)
    if outcome.retry_in is not None:
        raise RetryTask(delay=outcome.retry_in)
    return outcome.status


@task(name="wagtail_gan.generate_variant")
def generate_variant(job_id: int) -> str:
    """Editor/API variant of a library image (a ``GenerationJob`` of kind "variant")."""
    return act_on(job_worker.run_generation_job(job_id), enqueue_generation)


@task(name="wagtail_gan.generate_image")
def generate_image(job_id: int) -> str:
    """Text-to-image candidates (a ``GenerationJob`` of kind "generate")."""
    return act_on(job_worker.run_generation_job(job_id), enqueue_generation)


@db_task(name="wagtail_gan.generate_rendition")
def generate_rendition(job_id: int) -> str:
    """Render one ML rendition (a ``RenditionJob``) and swap it in place of its fallback."""
    outcome = rendition_worker.run_rendition_job(job_id)
    if outcome.purge_again_in is not None:
        purge_rendition_cache.schedule(args=(job_id,), delay=outcome.purge_again_in,
                                       priority=priority_for("rendition"))
    return act_on(outcome, enqueue_rendition)


@db_task(name="wagtail_gan.purge_rendition_cache")
def purge_rendition_cache(job_id: int) -> None:
    """Second purge of a swapped rendition's cache entry (see renditions.worker.purge_cache)."""
    rendition_worker.purge_job_cache(job_id)


@HUEY.on_startup(name="wagtail_gan.liveness")
def start_liveness() -> None:
    """Every consumer process keeps a ``WorkerProcess`` row fresh (work.liveness) and, on each
    beat, recovers the jobs of dead peers: a dead worker is noticed in about
    WORKER_DEAD_AFTER + WORKER_HEARTBEAT_SECONDS, not at the next minute's sweep."""
    liveness.start(on_beat=recover_dead_workers)


def _sweep_jobs(sweeper) -> dict:
    """Run ``sweeper`` (a ``work.sweep`` function) over every ``Job`` kind and re-queue what
    it asks for; its counts."""
    counts = {}
    # The job kinds that share one lifecycle (``work``), and how each is put on the queue.
    for model, enqueue in ((GenerationJob, enqueue_generation), (VideoJob, enqueue_video),
                           (ModelTask, enqueue_install)):
        outcome = sweeper(model)
        act_on(outcome, enqueue)
        counts.update(outcome.counts)
    return counts


def recover_dead_workers() -> dict:
    """Re-queue rendition jobs that a dead worker left running; fail (or re-queue once: model
    tasks) the editor jobs, video jobs and model tasks it left running."""
    renditions = rendition_sweeper.recover_lost()
    act_on(renditions, enqueue_rendition)
    return {**renditions.counts, **_sweep_jobs(sweep.recover_lost_jobs)}


@db_periodic_task(crontab(minute="*"), name="wagtail_gan.sweep_renditions")
def sweep_renditions() -> dict:
    """Every minute: re-enqueue lost rendition jobs, expire stuck ones, delete fallback files
    whose grace period is over; fail generation and video jobs a dead worker left running
    (model tasks are re-queued once first), re-queue (once) those whose queue message was
    lost; release the jobs waiting for a model that is installed now."""
    renditions = rendition_sweeper.sweep()
    act_on(renditions, enqueue_rendition)
    counts = {**renditions.counts, **_sweep_jobs(sweep.sweep_jobs)}
    counts["released"] = _release_waiting(waiting.release_installed)
    liveness.prune()
    return counts


def _release_waiting(release, *args) -> int:
    """Put the jobs that ``release`` (a ``work.waiting`` function) frees back on the queue."""
    released = 0
    for model, enqueue in ((RenditionJob, enqueue_rendition),
                           (GenerationJob, enqueue_generation)):
        outcome = release(model, *args)
        act_on(outcome, enqueue)
        released += len(outcome.requeue)
    return released


@receiver(model_installed, dispatch_uid="wagtail_gan_tasks_model_installed")
def on_model_installed(sender, model_id: str, **kwargs) -> int:
    """A model was installed (Models page, API or ``gan_models install``): the rendition and
    editor jobs waiting for it run again (``work.waiting``)."""
    return _release_waiting(waiting.release, model_id)


@db_task(name="wagtail_gan.pregenerate_renditions")
def pregenerate_renditions(image_id: int, specs: list[str]) -> int:
    """Request the renditions in ``specs`` for an uploaded or replaced image."""
    return rendition_pregenerate.pregenerate_image(image_id, specs)


@task(name="wagtail_gan.generate_video")
def generate_video(job_id: int) -> str:
    """A video job (``VideoJob``): frame interpolation of a library video or a clip from
    stills (wagtail_gan.video)."""
    return act_on(video_worker.run_video_job(job_id), enqueue_video)


@db_task(name="wagtail_gan.run_model_task")
def run_model_task(task_id: int) -> str:
    """Install, verify or remove a registry model (a ``ModelTask`` from the Models page):
    downloads run on the worker, where the models are used."""
    return act_on(model_worker.run_model_task(task_id), enqueue_install)


# -- enqueueing --------------------------------------------------------------------------


def enqueue_rendition(job_id: int, *, delay: float | None = None, task_id: str | None = None):
    priority = priority_for("rendition")
    if delay:
        return generate_rendition.schedule(args=(job_id,), delay=delay, priority=priority)
    return generate_rendition(job_id, priority=priority, id=task_id)


def enqueue_generation(job_id: int, *, delay: float | None = None, task_id: str | None = None):
    row = GenerationJob.objects.filter(pk=job_id).values("kind", "task_id").first()
    if row is None:
        return None
    fn = generate_image if row["kind"] == GenerationJob.Kind.GENERATE else generate_variant
    # The row's task id (also for a re-queue): cancelling revokes whichever message is left.
    return fn(job_id, priority=interactive_priority(GenerationJob, job_id),
              id=task_id or row["task_id"] or None)


def enqueue_pregenerate(image_id: int, specs: list[str], **kwargs):
    return pregenerate_renditions(image_id, list(specs), priority=priority_for("background"))


def enqueue_purge(job_id: int, *, delay: float | None = None, **kwargs):
    return purge_rendition_cache.schedule(args=(job_id,), delay=delay or 0,
                                          priority=priority_for("rendition"))


def _row_task_id(model, job_id: int) -> str | None:
    """The row's task id (also for a re-queue): cancelling revokes whichever message is left."""
    return model.objects.filter(pk=job_id).values_list("task_id", flat=True).first() or None


def enqueue_video(job_id: int, *, delay: float | None = None, task_id: str | None = None):
    return generate_video(job_id, priority=interactive_priority(VideoJob, job_id),
                          id=task_id or _row_task_id(VideoJob, job_id))


def enqueue_install(model_task_id: int, *, delay: float | None = None,
                    task_id: str | None = None):
    return run_model_task(model_task_id, priority=priority_for("background"),
                          id=task_id or _row_task_id(ModelTask, model_task_id))


ENQUEUE = {
    "rendition": enqueue_rendition,
    "generation": enqueue_generation,
    "pregenerate": enqueue_pregenerate,
    "purge": enqueue_purge,
    "video": enqueue_video,
    "install": enqueue_install,
}


@receiver(work_requested, dispatch_uid="wagtail_gan_tasks_work_requested")
def on_work_requested(sender, kind, args, delay=None, task_id=None, **kwargs):
    result = ENQUEUE[kind](*args, delay=delay, task_id=task_id)
    return getattr(result, "id", None)
