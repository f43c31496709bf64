"""Huey tasks: the only seam between the web tier and the worker.

The web tier enqueues these; ``manage.py run_huey`` (the worker) runs them. Task bodies import
their implementation lazily so that importing this module never imports torch.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, task

from .conf import gan_settings

logger = logging.getLogger(__name__)


@task(name="wagtail_gan.ping")
def ping(value: str = "pong") -> str:
    """Round trip used by ``gan_worker_check`` and the smoke test: proves a consumer is alive."""
    return value


def priority_for(kind: str) -> int:
    """Huey priority for a job kind: interactive editor/API jobs jump ahead of renditions."""
    return {
        "interactive": gan_settings.PRIORITY_INTERACTIVE,
        "rendition": gan_settings.PRIORITY_RENDITION,
    }.get(kind, gan_settings.PRIORITY_BACKGROUND)


@task(name="wagtail_gan.generate_variant")
def generate_variant(job_id: int) -> None:
    """Editor/API variant of a library image (a ``GenerationJob`` of kind "variant")."""
    from .jobs import run_generation_job

    run_generation_job(job_id)


@task(name="wagtail_gan.generate_image")
def generate_image(job_id: int) -> None:
    """Text-to-image candidates (a ``GenerationJob`` of kind "generate")."""
    from .jobs import run_generation_job

    run_generation_job(job_id)


@db_task(name="wagtail_gan.generate_rendition")
def generate_rendition(job_id: int) -> str:
    """Render one ML rendition (a ``RenditionJob``) and swap it in place of its fallback."""
    from .renditions import run_rendition_job

    return run_rendition_job(job_id)


@db_task(name="wagtail_gan.purge_rendition_cache")
def purge_rendition_cache(job_id: int) -> None:
    """Second purge of a swapped rendition's cache entry (see renditions.purge_cache)."""
    from .renditions import purge_job_cache

    purge_job_cache(job_id)


@db_periodic_task(crontab(minute="*"), name="wagtail_gan.sweep_renditions")
def sweep_renditions() -> dict:
    """Every minute: re-enqueue lost rendition jobs, expire stuck ones, delete fallback files
    whose grace period is over; fail generation jobs a dead worker left running, re-queue
    (once) those whose queue message was lost."""
    from .jobs import sweep_generation_jobs
    from .renditions import sweep

    return {**sweep(), **sweep_generation_jobs()}


@db_task(name="wagtail_gan.pregenerate_renditions")
def pregenerate_renditions(image_id: int, specs: list[str]) -> int:
    """Request the renditions in ``specs`` for an uploaded or replaced image."""
    from .renditions import pregenerate_image

    return pregenerate_image(image_id, specs)
