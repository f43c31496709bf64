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
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.image_operations import FilterOperation

from .conf import gan_settings

logger = logging.getLogger(__name__)

COOKIE_NAME = "gan_visitor"
COOKIE_MAX_AGE = 365 * 24 * 3600
MAX_POOL = 32  # the watermark's slot index has 5 bits
_COOKIE_RE = re.compile(r"^[0-9a-f]{32}$")
PREGENERATE_CACHE_SECONDS = 24 * 3600
# Pool slots vary the strength of these operations (see slot_strength_factor).
VARIED_OPERATIONS = ("stylize", "winterize")
STRENGTH_SPREAD = 0.25
_GOLDEN = 0.6180339887498949


# --------------------------------------------------------------------------- visitors

def visitor_id(request) -> str:
    """A stable id for the visitor of ``request`` ("" without a request)."""
    if request is None:
        return ""
    vid = getattr(request, "gan_visitor_id", None) or request.COOKIES.get(COOKIE_NAME, "")
    if _COOKIE_RE.match(vid or ""):
        return "c:" + vid
    session = getattr(request, "session", None)
    if session is not None and getattr(session, "session_key", None):
        return "s:" + session.session_key
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    meta = request.META
    return "a:" + meta.get("REMOTE_ADDR", "") + "|" + meta.get("HTTP_USER_AGENT", "")


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


class VisitorCookieMiddleware:
    """Gives each visitor a random first-party cookie (``gan_visitor``, one year, HttpOnly,
    SameSite=Lax) used only to pick their pool slot. Optional: without it the session key,
    user id or address + user agent are used."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        new = None
        if not _COOKIE_RE.match(request.COOKIES.get(COOKIE_NAME, "")):
            new = secrets.token_hex(16)
            request.gan_visitor_id = new
        response = self.get_response(request)
        if new:
            response.set_cookie(COOKIE_NAME, new, max_age=COOKIE_MAX_AGE, httponly=True,
                                samesite="Lax", secure=request.is_secure())
        return response


# --------------------------------------------------------------------------- specs

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
    from django.core.cache import cache

    key = "wagtail_gan:pool:" + hashlib.sha256(
        f"{image.pk}:{image.file_hash}:{normalise_spec(spec)}:{pool}".encode()
    ).hexdigest()
    if not cache.add(key, 1, PREGENERATE_CACHE_SECONDS):
        return
    try:
        from . import tasks

        tasks.pregenerate_renditions(
            image.pk, pool_specs(spec, pool), priority=tasks.priority_for("background")
        )
    except Exception:  # pages never break: the visitor's own slot is already requested
        cache.delete(key)
        logger.exception("wagtail-gan: could not queue the pool %s of image %s", spec, image.pk)


# --------------------------------------------------------------------------- variation

def slot_strength_factor(slot: int) -> float:
    """Strength multiplier of pool slot ``slot``: 1.0 for slot 0, then the golden-ratio
    sequence over (0.75, 1]: 0.8455, 0.941, 0.7865, 0.882 ... - distinct for all 32 slots and
    well spread in any pool size."""
    slot = int(slot)
    if slot <= 0:
        return 1.0
    return round(1.0 - STRENGTH_SPREAD * ((slot * _GOLDEN) % 1.0), 4)


def pool_strength(op, filter_) -> float | None:
    """The strength ``op`` (a GanOperation) runs at in a pooled rendition, or None (the
    operation's own default): only for a ``poolslot-<k>`` spec with k > 0, POOL_VARIATION on,
    and stylize/winterize."""
    if filter_ is None or not gan_settings.POOL_VARIATION:
        return None
    if op.spec.operation not in VARIED_OPERATIONS:
        return None
    slot = next((o.slot for o in filter_.operations if isinstance(o, PoolSlotOperation)), 0)
    if not slot:
        return None
    base = op.spec.params.get("strength", 100) / 100 if op.spec.operation == "winterize" else 1.0
    return round(base * slot_strength_factor(slot), 4)


# --------------------------------------------------------------------------- the operation

class PoolSlotOperation(FilterOperation):
    """``poolslot-<k>``: in the worker, after the ML operations of the spec, embed the
    watermark (kind "rendition", the rendition job's id, slot k). Elsewhere a no-op."""

    def construct(self, slot):
        if not str(slot).isdigit() or not 0 <= int(slot) < MAX_POOL:
            raise InvalidFilterSpecError(f"poolslot takes a slot number 0..{MAX_POOL - 1}")
        self.slot = int(slot)

    def run(self, willow, image, env):
        from .renditions import current_worker_context

        worker = current_worker_context()
        if worker is None or worker.job is None or not worker.model_ids:
            return willow  # the fallback (no model ran) is not marked
        if not gan_settings.WATERMARK:
            return willow
        from willow.plugins.pillow import PillowImage

        from .operations import to_pil
        from .provenance import watermark

        pil = to_pil(willow)
        if min(pil.size) < watermark.MIN_SIDE:
            return willow
        payload = watermark.Payload(watermark.KIND_RENDITION, worker.job.pk % 2**32, self.slot)
        return PillowImage(watermark.embed(pil, payload))


OPERATIONS = [("poolslot", PoolSlotOperation)]
