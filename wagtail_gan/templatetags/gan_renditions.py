"""Template helpers for ML renditions: ``{% load gan_renditions %}``.

* ``{% if page.hero|gan_ready:"width-400|stylize-3" %}...{% endif %}`` - is the ML version of
  that spec swapped in yet?
* ``{% gan_rendition_status page.hero "width-400|stylize-3" %}`` - "ready", "pending",
  "running", "failed", "skipped", "expired", "waiting" (for its model to be installed),
  "none" (never requested) or "plain" (no ML operation in the spec).
* ``{% gan_swap_script %}`` - the optional script that swaps ``<img>``/``<source>`` URLs of
  pending ML renditions when they become ready, without a page reload.
* ``{{ rendition|gan_background_position }}`` - a ``background-position`` that accounts for
  an upscale (Wagtail's own ``background_position_style`` does not).
"""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ..renditions.status import rendition_status

register = template.Library()


def _status(image, spec) -> str:
    if image is None or not getattr(image, "pk", None) or not spec:
        return "none"
    try:
        return rendition_status(image, str(spec))
    except Exception:  # a readiness check never breaks a page
        return "none"


@register.filter(name="gan_ready")
def gan_ready(image, spec) -> bool:
    return _status(image, spec) in ("ready", "plain")


@register.simple_tag(name="gan_rendition_status")
def gan_rendition_status(image, spec) -> str:
    return _status(image, spec)


@register.filter(name="gan_background_position")
def gan_background_position(rendition) -> str:
    """``background-position`` for a rendition whose ML operations changed its size.

    Wagtail computes ``rendition.background_position_style`` from the resize/crop transform
    only, so after ``upscale-2x`` the percentages come out halved. This scales the focal
    point by the rendition's real size: ``style="{{ r|gan_background_position }}"``.
    """
    try:
        focal = rendition.focal_point
        if not focal:
            return "background-position: 50% 50%;"
        transform = rendition.filter.get_transform(rendition.image)
        scale_x = rendition.width / transform.size[0]
        scale_y = rendition.height / transform.size[1]
        x = int(focal.x * scale_x * 100 // rendition.width)
        y = int(focal.y * scale_y * 100 // rendition.height)
        return f"background-position: {x}% {y}%;"
    except Exception:  # never break a page over a style attribute
        return "background-position: 50% 50%;"


def swap_script_html(interval_ms: int = 3000) -> str:
    try:
        status_url = reverse("wagtail_gan:rendition_status")
    except NoReverseMatch:
        return ""
    return format_html(
        '<script src="{}" data-gan-status-url="{}" data-gan-interval="{}" defer></script>',
        static("wagtail_gan/js/gan-renditions.js"), status_url, int(interval_ms),
    )


@register.simple_tag(name="gan_swap_script")
def gan_swap_script(interval_ms: int = 3000) -> str:
    return swap_script_html(interval_ms)
