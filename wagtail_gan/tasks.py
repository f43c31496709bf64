"""Huey tasks: the only seam between the web tier and the worker.

The web tier enqueues these; ``manage.py run_huey`` (the worker) runs them. Task bodies import
their implementation lazily so that importing this module never imports torch.
"""

from __future__ import annotations

import logging

from huey.contrib.djhuey import task

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
