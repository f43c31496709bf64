"""Wagtail filter operations ``upscale``, ``winterize`` and ``stylize`` (web tier, no torch).

Registered with ``register_image_operations`` (see ``rendition_hooks``), so they work in every
place Wagtail builds renditions: ``{% image %}``, ``{% picture %}``, ``{% srcset_image %}``,
``image_url`` / the serve view, the API's rendition field and Jinja2.

What ``run()`` does depends on where it runs:

* **web mode** (the default): return a cheap, correct-size fallback at once (a resize for
  ``upscale``, the unmodified pixels for ``stylize``/``winterize``) and ask for the ML rendition
  (``renditions.request_ml_rendition``: one ``RenditionJob`` row, one Huey task);
* **worker mode** (inside ``renditions.run_rendition_job`` on the worker) or with
  ``WAGTAIL_GAN["SYNC_RENDITIONS"]``: run the model through ``models_zoo.engine``.

Wagtail applies every resize/crop of a spec before any filter operation, whatever the order
in the spec: ``upscale-4x|width-200`` upscales the 200-px image to 800 px.
"""

from __future__ import annotations

import io
import logging
import sys

from PIL import Image as PILImage
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.image_operations import FilterOperation
from willow.plugins.pillow import PillowImage

from .conf import gan_settings
from .specs import InvalidSpec, OperationSpec, parse_parts

logger = logging.getLogger(__name__)


class FastPillowImage(PillowImage):
    """A Willow image whose encoders skip the slow options (progressive/optimized JPEG,
    optimized PNG). Used for large fallbacks only: they are replaced by the ML rendition."""

    def save_as_jpeg(self, f, quality=85, optimize=False, progressive=False, apply_optimizers=True):
        return PillowImage(self.image).save_as_jpeg(
            f, quality=quality, optimize=False, progressive=False, apply_optimizers=False
        )

    def save_as_png(self, f, optimize=False, apply_optimizers=True):
        return PillowImage(self.image).save_as_png(f, optimize=False, apply_optimizers=False)

    def save_as_webp(self, f, quality=80, lossless=False, apply_optimizers=True):
        image = self.image
        if lossless:
            image.save(f, "WEBP", lossless=True, method=0)
        else:
            image.save(f, "WEBP", quality=quality, method=0)
        from willow.image import WebPImageFile

        return WebPImageFile(f)


def find_filter_and_image(max_depth: int = 12):
    """Return (filter, image) of the ``Filter.run`` call that is running this operation.

    Wagtail passes an operation neither the spec nor the rendition; the caller's frame has
    both. This works in Wagtail's rendition thread pool too (the frame is in the same thread).
    """
    from wagtail.images.models import Filter

    target = Filter.run.__code__
    frame = sys._getframe(1)
    depth = 0
    while frame is not None and depth < max_depth:
        if frame.f_code is target:
            return frame.f_locals.get("self"), frame.f_locals.get("image")
        frame = frame.f_back
        depth += 1
    return None, None


def to_pil(willow) -> PILImage.Image:
    if isinstance(willow, PillowImage):
        return willow.image
    buf = io.BytesIO()
    willow.save_as_png(buf)
    buf.seek(0)
    return PILImage.open(buf)


class GanOperation(FilterOperation):
    """Base class: parse the arguments with the shared spec grammar."""

    spec: OperationSpec

    def construct(self, *args):
        if self.method not in gan_settings.ENABLED_OPERATIONS:
            raise InvalidFilterSpecError(
                f"The {self.method!r} operation is disabled (WAGTAIL_GAN['ENABLED_OPERATIONS'] = "
                f"{list(gan_settings.ENABLED_OPERATIONS)})."
            )
        try:
            self.spec = parse_parts(self.method, list(args))
        except InvalidSpec as exc:
            raise InvalidFilterSpecError(str(exc)) from exc

    # -- sizes ---------------------------------------------------------------------------
    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        return size

    @property
    def size_known(self) -> bool:
        """False when the output size is only known once the model is loaded (an upscale
        model dropped into the models dir without a declared scale)."""
        return True

    # -- run -----------------------------------------------------------------------------
    def run(self, willow, image, env):
        from . import renditions

        if env.get("original-format") == "svg" or renditions.is_animated(image, env):
            return willow  # SVG and animated GIF pass through unchanged
        try:
            worker = renditions.current_worker_context()
            if worker is not None:
                return renditions.run_model_operation(self, willow, image, env, worker.filter,
                                                      worker)
            filter_, _ = find_filter_and_image()
            if gan_settings.SYNC_RENDITIONS:
                return renditions.run_model_operation(self, willow, image, env, filter_, None)
            fallback = self.fallback(willow, env)
            try:
                renditions.request_ml_rendition(image, filter_, self, willow.get_size(), env)
            except Exception:  # pages never break: log, serve the fallback
                logger.exception("wagtail-gan: could not queue %s for image %s", self.spec,
                                 image.pk)
            return fallback
        finally:
            if renditions.in_rendition_pool():
                # The pool thread opened its own DB connection for the job row: close it.
                from django.db import connection

                connection.close()

    def fallback(self, willow, env):
        return willow


class UpscaleOperation(GanOperation):
    def scale(self) -> int | None:
        if "scale" in self.spec.params:
            return self.spec.params["scale"]
        from .renditions import upscale_model_scale

        return upscale_model_scale(self.spec.params.get("model"))

    def output_size(self, size):
        scale = self.scale() or 1
        return (size[0] * scale, size[1] * scale)

    @property
    def size_known(self) -> bool:
        return self.scale() is not None

    def fallback(self, willow, env):
        from .renditions import capped_size

        width, height = capped_size(self.output_size(willow.get_size()))
        pil = to_pil(willow)
        if width * height > gan_settings.FALLBACK_FAST_ABOVE_PIXELS:
            # Large outputs: bilinear + plain encoding (measured 14.6x -> ~1x a plain rendition).
            return FastPillowImage(pil.resize((width, height), PILImage.BILINEAR))
        return PillowImage(pil.resize((width, height), PILImage.LANCZOS))


class WinterizeOperation(GanOperation):
    pass


class StylizeOperation(GanOperation):
    pass


OPERATIONS = [
    ("upscale", UpscaleOperation),
    ("winterize", WinterizeOperation),
    ("stylize", StylizeOperation),
]
