"""Jinja2 extension for variant pools: ``"extensions": ["wagtail_gan.pools.jinja2tags.pools"]``.

    {{ gan_variant(page.photo, "stylize-3", pool=4, alt="Harbour") }}
    {% set r = gan_variant_rendition(page.photo, "width-800 stylize-3", pool=4) %}
"""

from __future__ import annotations

from jinja2 import pass_context
from jinja2.ext import Extension
from markupsafe import Markup

from .render import pool_img_tag, pool_rendition


@pass_context
def gan_variant(context, image, spec, pool=1, **attrs):
    return Markup(pool_img_tag(image, spec, pool, context.get("request"), attrs))


@pass_context
def gan_variant_rendition(context, image, spec, pool=1):
    return pool_rendition(image, spec, pool, context.get("request"))


class GanPoolsExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals.update(
            {"gan_variant": gan_variant, "gan_variant_rendition": gan_variant_rendition}
        )


pools = GanPoolsExtension
