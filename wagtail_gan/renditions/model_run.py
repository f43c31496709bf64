"""Running a spec's ML operations through the engine: in worker mode (inside
``worker.run_rendition_job``) errors propagate to the job; with ``SYNC_RENDITIONS`` the
fallback is served and the failure recorded. A result with transparency keeps it where
Wagtail would write a JPEG only because the source is one (``keep_alpha_format``)."""

from __future__ import annotations

import logging

from django.conf import settings
from PIL import Image as PILImage
from wagtail.images import get_image_model
from willow.plugins.pillow import PillowImage

from wagtail_gan.exceptions import LimitSkip, PermanentFailure
from wagtail_gan.imaging import to_pil
from wagtail_gan.models import RenditionJob
from wagtail_gan.models_zoo import engine
from wagtail_gan.pools import pool_strength
from wagtail_gan.work.context import WorkerContext
from wagtail_gan.work.failures import first_line
from wagtail_gan.work.progress import HEARTBEAT_SECONDS, ProgressReporter

from . import request
from .limits import limit_error

logger = logging.getLogger(__name__)


def style_image_pixels(image_id: int):
    Image = get_image_model()
    try:
        style = Image.objects.get(pk=image_id)
    except Image.DoesNotExist:
        raise PermanentFailure(f"stylize-image{image_id}: image {image_id} does not exist") from None
    with style.open_file() as fh, PILImage.open(fh) as pil:
        pil.load()
        return pil.copy()


def heartbeat(worker: WorkerContext | None):
    """Progress callback that keeps a long model run's job fresh (``updated_at``), so the
    sweeper does not mistake it for a job a dead worker lost."""
    if worker is None or worker.job is None:
        return None
    return ProgressReporter(RenditionJob.objects.filter(pk=worker.job.pk),
                            heartbeat_field="updated_at", interval=HEARTBEAT_SECONDS)


def run_model_operation(op, willow, image, env, filter_, worker: WorkerContext | None):
    """Run one ML operation (a ``GanFilter``) on ``willow``; returns a Willow image of the
    expected size."""
    size = willow.get_size()
    spec = op.spec
    try:
        if filter_ is not None and not env.get("gan-limits-checked"):
            env["gan-limits-checked"] = True
            problem = limit_error(filter_, size)
            if problem:
                raise LimitSkip(problem)
        style_image = None
        if "style_image" in spec.params:
            style_image = style_image_pixels(spec.params["style_image"])
        result = engine.run(spec.model_key, to_pil(willow), params=spec.params,
                            style_image=style_image, strength=pool_strength(op, filter_),
                            progress=heartbeat(worker))
    except Exception as exc:
        if worker is not None:
            raise
        logger.warning("wagtail-gan: SYNC_RENDITIONS %s failed for image %s: %s",
                       spec.text, image.pk, exc)
        request.record_sync(image, filter_, env,
                            "skipped" if isinstance(exc, LimitSkip) else "failed",
                            error=first_line(exc)[:1000])
        return op.fallback(willow, env)
    if worker is not None:
        worker.model_ids.append(result.model_id)
        worker.duration += result.duration
    else:
        request.record_sync(image, filter_, env, "done", model_id=result.model_id,
                            duration=result.duration)
    out = result.image
    expected = op.output_size(size)
    if op.size_known and out.size != tuple(expected):  # layouts rely on the fallback's size
        out = out.resize(expected, PILImage.LANCZOS)
    keep_alpha_format(out, env)
    return PillowImage(out)


# Wagtail's own conversions when a spec names no format (``Filter.run``), before the site's
# WAGTAILIMAGES_FORMAT_CONVERSIONS.
WAGTAIL_CONVERSIONS = {"bmp": "png", "heic": "jpeg", "gif": "png"}


def keep_alpha_format(image, env) -> None:
    """A result with transparency (removebg's cut-out, a transparent input kept transparent)
    is not flattened behind the spec's back: where Wagtail would write a JPEG only because of
    the source's format (no ``format-*`` before this operation, no site conversion to JPEG),
    the rendition is a PNG. An explicit ``format-jpeg`` (or a site's conversion) still
    flattens it on white (``bgcolor-<hex>`` picks the colour), as Wagtail does."""
    if image.mode not in ("RGBA", "LA", "PA") or "output-format" in env:
        return
    original = env.get("original-format")
    site = getattr(settings, "WAGTAILIMAGES_FORMAT_CONVERSIONS", {}) or {}
    if original in site:
        return  # the site chose the format of these sources
    if WAGTAIL_CONVERSIONS.get(original, original) == "jpeg":
        env["output-format"] = "png"
