"""Recovering video jobs a dead worker left behind (periodic task ``sweep_renditions`` and
each live worker's liveness beat): the rules of ``work.sweep``, for ``VideoJob``. A job on a
live worker keeps its heartbeat fresh (``liveness.running``) however slow the video is."""

from __future__ import annotations

from wagtail_gan.models import VideoJob
from wagtail_gan.work import sweep
from wagtail_gan.work.outcome import Outcome


def sweep_video_jobs(now=None) -> Outcome:
    return sweep.sweep_jobs(VideoJob, "video", now, what="video job")


def fail_lost_jobs(now=None) -> int:
    return sweep.fail_lost_jobs(VideoJob, now)


def orphaned_jobs(now=None):
    """Running video jobs of a dead worker: their owner may cancel them at once."""
    return sweep.orphaned_jobs(VideoJob, now)
