"""Renditions made ahead of time: ``PREGENERATE_SPECS`` when an image is uploaded or its file
replaced (a strategy in django-imagekit's sense: when, not how; ``signal_handlers`` tells
when), and ``gan_pregenerate``."""

from __future__ import annotations

import logging

from wagtail.images import get_image_model
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import SourceImageIOError

from wagtail_gan import queue
from wagtail_gan.conf import gan_settings

logger = logging.getLogger(__name__)


def pregenerate_image(image_id: int, specs: list[str]) -> int:
    """Request ``specs`` for one image (web mode: fallback + one job each). Returns the count
    of specs requested; invalid specs are logged and skipped."""
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


def request_specs(image) -> None:
    """A new or replaced image file: queue ``PREGENERATE_SPECS`` (``signal_handlers``)."""
    specs = list(gan_settings.PREGENERATE_SPECS or [])
    if specs:
        queue.request("pregenerate", image.pk, specs)
