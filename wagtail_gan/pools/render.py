"""Rendering a pooled image, shared by the Django tags (``{% load gan_pools %}``) and the Jinja2
extension (:mod:`.jinja2tags`)."""

from __future__ import annotations

from wagtail.images.models import SourceImageIOError

from .slots import get_pool_rendition


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
