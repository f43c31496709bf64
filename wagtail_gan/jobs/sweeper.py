"""Recovering editor/API jobs a dead worker left behind (periodic task ``sweep_renditions``,
``manage.py gan_sweep`` and each live worker's liveness beat): the rules of
``work.sweep``, for ``GenerationJob``."""

from __future__ import annotations

from wagtail_gan.models import GenerationJob
from wagtail_gan.work import sweep
from wagtail_gan.work.outcome import Outcome


def sweep_generation_jobs(now=None) -> Outcome:
    """Fail running jobs whose worker is gone; re-queue (once), then fail, queued jobs nobody
    picked up. ``Outcome.requeue`` lists the ids the task enqueues again."""
    return sweep.sweep_jobs(GenerationJob, "jobs", now)


def fail_lost_jobs(now=None) -> int:
    return sweep.fail_lost_jobs(GenerationJob, now)


def orphaned_jobs(now=None):
    """Running jobs of a dead worker: their owner may cancel or discard them at once."""
    return sweep.orphaned_jobs(GenerationJob, now)
