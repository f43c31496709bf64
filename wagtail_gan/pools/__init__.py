"""Personalised variant pools: each visitor gets one of N ML renditions of an image, always the
same one, and every pooled rendition carries its own watermark.

    {% load gan_pools %}
    {% gan_variant page.photo "width-800 stylize-3" pool=4 alt="Harbour" %}

The visitor's slot ``k`` (0..N-1) is a stable hash of a visitor id (the ``gan_visitor`` cookie
set by :class:`VisitorCookieMiddleware`, else the session key, else the user id, else address
and user agent). The tag renders the Wagtail rendition ``<spec>|poolslot-<k>``: fallback first
like every ML rendition, the model runs on the worker, and there the ``poolslot-<k>``
operation embeds the watermark payload (rendition job id, slot ``k``) into the model's output.
The first render of a pool also queues the other slots (``pregenerate_renditions``, background
priority), so the pool fills up on the worker.

Every slot carries its own watermark: a copy found elsewhere tells which visitor slot it was
served to. With ``POOL_VARIATION`` (the default) the slots also look different: the models are
deterministic (seeds do not change them), so slot ``k`` runs stylize and winterize at a
slot-dependent strength, ``slot_strength_factor(k)`` times the spec's (slot 0: the spec's own
look; the others spread over 0.75..1 so no two slots coincide). Upscale never varies: an
enlargement should be faithful.

Modules: :mod:`.visitors` (visitor id, cookie middleware), :mod:`.slots` (slot of a visitor,
slot specs, the visitor's rendition, queueing the pool), :mod:`.variation` (slot strengths),
:mod:`.operation` (``poolslot-<k>``), :mod:`.render` (shared by ``templatetags/gan_pools.py``
and the Jinja2 extension ``wagtail_gan.pools.jinja2tags.pools``).
"""

from .operation import OPERATIONS, PoolSlotOperation
from .render import pool_img_tag, pool_rendition
from .slots import (
    MAX_POOL,
    PREGENERATE_CACHE_SECONDS,
    clean_pool,
    get_pool_rendition,
    normalise_spec,
    pool_slot,
    pool_specs,
    slot_spec,
)
from .variation import VARIED_OPERATIONS, pool_strength, slot_strength_factor
from .visitors import COOKIE_MAX_AGE, COOKIE_NAME, VisitorCookieMiddleware, visitor_id

__all__ = [
    "COOKIE_MAX_AGE",
    "COOKIE_NAME",
    "MAX_POOL",
    "OPERATIONS",
    "PREGENERATE_CACHE_SECONDS",
    "VARIED_OPERATIONS",
    "PoolSlotOperation",
    "VisitorCookieMiddleware",
    "clean_pool",
    "get_pool_rendition",
    "normalise_spec",
    "pool_img_tag",
    "pool_rendition",
    "pool_slot",
    "pool_specs",
    "pool_strength",
    "slot_spec",
    "slot_strength_factor",
    "visitor_id",
]
