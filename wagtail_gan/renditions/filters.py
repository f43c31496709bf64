"""Wagtail filter operations for every operation of the registry that is a rendition filter
(``upscale``, ``winterize``, ``stylize`` ...; registered through ``register_image_operations``
in ``wagtail_hooks``), so they work wherever Wagtail builds renditions: ``{% image %}``,
``{% picture %}``, ``{% srcset_image %}``, ``image_url``, the API's rendition field, Jinja2.

What ``run()`` does depends on where it runs:

* **web mode** (the default): a cheap, correct-size fallback at once (the operation's
  ``fallback_image``: a resize for ``upscale``, the unmodified pixels otherwise) and a request
  for the ML rendition (``request.request_ml_rendition``);
* **worker mode** (inside ``worker.run_rendition_job``) or with ``SYNC_RENDITIONS``: the model
  runs (``model_run.run_model_operation``).

Wagtail applies every resize/crop of a spec before any filter operation, whatever the order
in the spec: ``upscale-4x|width-200`` upscales the 200-px image to 800 px.
"""

from __future__ import annotations

import logging

from django.db import connection
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.image_operations import FilterOperation
from willow.plugins.pillow import PillowImage

from wagtail_gan import operations
from wagtail_gan.conf import gan_settings
from wagtail_gan.imaging import FastPillowImage, to_pil
from wagtail_gan.operations import InvalidSpec, Operation, OperationSpec
from wagtail_gan.work.context import current_worker_context

from . import compat, request

logger = logging.getLogger(__name__)


def capped_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled down (aspect kept) to fit MAX_OUTPUT_PIXELS."""
    width, height = size
    cap = int(gan_settings.MAX_OUTPUT_PIXELS)
    if width * height <= cap:
        return width, height
    factor = (cap / (width * height)) ** 0.5
    return max(1, int(width * factor)), max(1, int(height * factor))


class GanFilter(FilterOperation):
    """A registry operation as a Wagtail filter; subclasses set ``operation``."""

    operation: Operation
    spec: OperationSpec

    def construct(self, *args):
        if not self.operation.is_enabled():
            raise InvalidFilterSpecError(
                f"The {self.method!r} operation is disabled (WAGTAIL_GAN['ENABLED_OPERATIONS'] = "
                f"{list(gan_settings.ENABLED_OPERATIONS)})."
            )
        try:
            self.spec = self.operation.parse(list(args))
        except InvalidSpec as exc:
            raise InvalidFilterSpecError(str(exc)) from exc

    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        return self.operation.output_size(self.spec.params, size) or size

    @property
    def size_known(self) -> bool:
        """False when the output size is only known once the model is loaded (an upscale
        model dropped into the models dir without a declared scale)."""
        return self.operation.output_size(self.spec.params, (1, 1)) is not None

    def run(self, willow, image, env):
        if env.get("original-format") == "svg" or compat.is_animated(image, env):
            return willow  # SVG and animated GIF pass through unchanged
        try:
            worker = current_worker_context()
            if worker is not None:
                return worker.run(self, willow, image, env, worker.filter, worker)
            filter_, _ = compat.find_filter_and_image()
            if gan_settings.SYNC_RENDITIONS:
                # Opt-in: this site runs models inside web requests (the one place the web
                # tier reaches the engine; an `ignore_imports` entry of the contracts).
                from . import model_run  # noqa: PLC0415 - worker code, reached only by SYNC_RENDITIONS sites

                return model_run.run_model_operation(self, willow, image, env, filter_, None)
            fallback = self.fallback(willow, env)
            try:
                request.request_ml_rendition(image, filter_, self, willow.get_size(), env)
            except Exception:  # pages never break: log, serve the fallback
                logger.exception("wagtail-gan: could not queue %s for image %s", self.spec,
                                 image.pk)
            return fallback
        finally:
            if compat.in_rendition_pool():
                # The pool thread opened its own DB connection for the job row: close it.
                connection.close()

    def fallback(self, willow, env):
        size = capped_size(self.output_size(willow.get_size()))
        # Large outputs: bilinear + plain encoding (measured 14.6x -> ~1x a plain rendition).
        fast = size[0] * size[1] > gan_settings.FALLBACK_FAST_ABOVE_PIXELS
        out = self.operation.fallback_image(to_pil(willow), self.spec.params, size, fast=fast)
        if out is None:
            return willow
        return FastPillowImage(out) if fast else PillowImage(out)


_classes: dict[str, type[GanFilter]] = {}


def filter_class(op: Operation) -> type[GanFilter]:
    cls = _classes.get(op.name)
    if cls is None or cls.operation is not op:
        cls = type(f"{op.name.title()}Filter", (GanFilter,), {"operation": op})
        _classes[op.name] = cls
    return cls


def filter_operations() -> list[tuple[str, type[GanFilter]]]:
    """``(name, class)`` pairs for Wagtail's ``register_image_operations`` hook."""
    return [(op.name, filter_class(op)) for op in operations.all_operations() if op.filter]
