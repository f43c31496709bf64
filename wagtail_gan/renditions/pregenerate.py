"""Renditions made ahead of time: ``PREGENERATE_SPECS`` when an image is uploaded or its file
replaced (a strategy in django-imagekit's sense: when, not how), and ``gan_pregenerate``."""

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
    queue.request("pregenerate", instance.pk, specs)


def on_image_pre_save(sender, instance, **kwargs) -> None:
    if gan_settings.PREGENERATE_SPECS and instance.pk and not kwargs.get("raw"):
        instance._gan_previous_file = (
            sender.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
        )
