"""MAX_INPUT_PIXELS / MAX_OUTPUT_PIXELS for a spec's ML operations (checked on the web, so an
oversized job is recorded as skipped, and again on the worker before any model runs)."""

from __future__ import annotations

from wagtail_gan.conf import gan_settings
from wagtail_gan.operations import OperationSpec


def gan_filters(filter_) -> list:
    """The wagtail-gan operations of a Wagtail ``Filter`` (``renditions.filters.GanFilter``)."""
    return [op for op in filter_.operations if isinstance(getattr(op, "spec", None), OperationSpec)]


def limit_error(filter_, input_size: tuple[int, int]) -> str:
    """Why this filter's ML ops must not run on an input of ``input_size`` ('' if fine)."""
    size = input_size
    max_in, max_out = int(gan_settings.MAX_INPUT_PIXELS), int(gan_settings.MAX_OUTPUT_PIXELS)
    for op in gan_filters(filter_):
        if size[0] * size[1] > max_in:
            return (
                f"{op.spec.text}: input {size[0]}x{size[1]} exceeds MAX_INPUT_PIXELS ({max_in}); "
                "serving the plain rendition"
            )
        size = op.output_size(size)
        if size[0] * size[1] > max_out:
            return (
                f"{op.spec.text}: output {size[0]}x{size[1]} exceeds MAX_OUTPUT_PIXELS ({max_out}); "
                "serving the plain rendition"
            )
    return ""
