"""Personalised variant pools: ``{% load gan_pools %}`` (see ``wagtail_gan.pools``).

* ``{% gan_variant photo "stylize-3" pool=4 alt="..." class="..." %}`` - an ``<img>`` of the
  visitor's pooled ML rendition (the fallback until the worker has made it);
* ``{% gan_variant_rendition photo "width-800 stylize-3" pool=4 as r %}`` - the rendition
  itself (``r.url``, ``r.width``...).

Needs ``request`` in the template context (``django.template.context_processors.request``).
"""

from __future__ import annotations

from django import template
from wagtail.images.models import SourceImageIOError

from ..pools import get_pool_rendition

register = template.Library()


def pool_rendition(image, spec, pool, request):
    if image is None or not getattr(image, "pk", None):
        return None
    try:
        return get_pool_rendition(image, spec, pool, request)
    except SourceImageIOError:  # the file is missing: render nothing, like {% image %}
        return None


def pool_img_tag(image, spec, pool, request, attrs) -> str:
    rendition = pool_rendition(image, spec, pool, request)
    if rendition is None:
        return ""
    # Wagtail's own attributes (src, width, height, alt) plus the tag's (data_x -> data-x).
    return rendition.img_tag({k.replace("_", "-"): v for k, v in attrs.items()})


@register.simple_tag(takes_context=True)
def gan_variant(context, image, spec, pool=1, **attrs):
    return pool_img_tag(image, spec, pool, context.get("request"), attrs)


@register.simple_tag(takes_context=True)
def gan_variant_rendition(context, image, spec, pool=1):
    return pool_rendition(image, spec, pool, context.get("request"))
