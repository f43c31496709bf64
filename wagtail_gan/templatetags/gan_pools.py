"""Personalised variant pools: ``{% load gan_pools %}`` (implemented in ``wagtail_gan.pools``).

* ``{% gan_variant photo "stylize-3" pool=4 alt="..." class="..." %}`` - an ``<img>`` of the
  visitor's pooled ML rendition (the fallback until the worker has made it);
* ``{% gan_variant_rendition photo "width-800 stylize-3" pool=4 as r %}`` - the rendition
  itself (``r.url``, ``r.width``...).

Needs ``request`` in the template context (``django.template.context_processors.request``).
"""

from __future__ import annotations

from django import template

from ..pools.render import pool_img_tag, pool_rendition

register = template.Library()


@register.simple_tag(takes_context=True)
def gan_variant(context, image, spec, pool=1, **attrs):
    return pool_img_tag(image, spec, pool, context.get("request"), attrs)


@register.simple_tag(takes_context=True)
def gan_variant_rendition(context, image, spec, pool=1):
    return pool_rendition(image, spec, pool, context.get("request"))
