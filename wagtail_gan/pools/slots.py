"""Slots of a pool: which slot a visitor gets, the spec of each slot (``<spec>|poolslot-<k>``),
the visitor's rendition, and queueing the rest of the pool on the worker."""

from __future__ import annotations

import hashlib
import logging
import re

from django.core.cache import cache
from wagtail.images.exceptions import InvalidFilterSpecError

from .. import queue
from .visitors import visitor_id

logger = logging.getLogger(__name__)

MAX_POOL = 32  # the watermark's slot index has 5 bits
PREGENERATE_CACHE_SECONDS = 24 * 3600


def pool_slot(visitor: str, pool: int) -> int:
    """The visitor's slot in a pool of ``pool`` (0..pool-1), stable across requests."""
    pool = clean_pool(pool)
    digest = hashlib.sha256(b"wagtail-gan-pool:" + visitor.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % pool


def clean_pool(pool) -> int:
    try:
        value = int(pool)
    except (TypeError, ValueError):
        raise ValueError(f"gan_variant: pool must be a number 1..{MAX_POOL}, not {pool!r}") from None
    if not 1 <= value <= MAX_POOL:
        raise ValueError(f"gan_variant: pool must be 1..{MAX_POOL}, not {value}")
    return value


def normalise_spec(spec: str) -> str:
    """``"width-800 stylize-3"`` or ``"width-800|stylize-3"`` -> ``"width-800|stylize-3"``."""
    parts = [p for p in re.split(r"[\s|]+", str(spec or "").strip()) if p]
    if not parts:
        raise InvalidFilterSpecError("gan_variant needs a filter spec such as 'stylize-3'")
    if any(p.startswith("poolslot-") for p in parts):
        raise InvalidFilterSpecError("gan_variant adds poolslot-<n> itself; leave it out")
    return "|".join(parts)


def slot_spec(spec: str, slot: int) -> str:
    return f"{normalise_spec(spec)}|poolslot-{int(slot)}"


def pool_specs(spec: str, pool: int) -> list[str]:
    return [slot_spec(spec, k) for k in range(clean_pool(pool))]


def get_pool_rendition(image, spec: str, pool: int, request=None):
    """The visitor's rendition (fallback until the worker is done); queues the other slots
    the first time a pool is rendered."""
    pool = clean_pool(pool)
    slot = pool_slot(visitor_id(request), pool)
    rendition = image.get_rendition(slot_spec(spec, slot))
    if pool > 1:
        _queue_pool(image, spec, pool)
    return rendition


def _queue_pool(image, spec: str, pool: int) -> None:
    key = "wagtail_gan:pool:" + hashlib.sha256(
        f"{image.pk}:{image.file_hash}:{normalise_spec(spec)}:{pool}".encode()
    ).hexdigest()
    if not cache.add(key, 1, PREGENERATE_CACHE_SECONDS):
        return
    try:
        queue.request("pregenerate", image.pk, pool_specs(spec, pool), on_commit=False)
    except Exception:  # pages never break: the visitor's own slot is already requested
        cache.delete(key)
        logger.exception("wagtail-gan: could not queue the pool %s of image %s", spec, image.pk)
