"""Video jobs a dead worker left running, which their owner may cancel at once (the job page
offers it). Recovering them is ``work.sweep``'s, as for every job kind."""

from __future__ import annotations

from wagtail_gan.models import VideoJob
from wagtail_gan.work import sweep


def orphaned_jobs(now=None):
    """Running video jobs of a dead worker: their owner may cancel them at once."""
    return sweep.orphaned_jobs(VideoJob, now)
