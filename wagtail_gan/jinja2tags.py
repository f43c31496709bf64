"""Jinja2 extension: ``"extensions": ["wagtail_gan.jinja2tags.renditions"]``.

Adds the globals ``gan_ready(image, spec)``, ``gan_rendition_status(image, spec)`` and
``gan_swap_script()``. Wagtail's own ``image()`` / ``srcset_image()`` / ``picture()`` need
nothing from us: the filters are ordinary Wagtail operations.
"""

from __future__ import annotations

from jinja2.ext import Extension
from markupsafe import Markup

from .templatetags.gan_renditions import gan_ready, gan_rendition_status, swap_script_html


class GanRenditionsExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(
            {
                "gan_ready": gan_ready,
                "gan_rendition_status": gan_rendition_status,
                "gan_swap_script": lambda interval_ms=3000: Markup(swap_script_html(interval_ms)),
            }
        )


renditions = GanRenditionsExtension
