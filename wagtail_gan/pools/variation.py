"""Pool slots look different: slot ``k`` > 0 runs stylize and winterize at a slot-dependent
strength (``POOL_VARIATION``, on by default); upscale never varies."""

from __future__ import annotations

from ..conf import gan_settings
from .operation import PoolSlotOperation

# Pool slots vary the strength of these operations (see slot_strength_factor).
VARIED_OPERATIONS = ("stylize", "winterize")
STRENGTH_SPREAD = 0.25
_GOLDEN = 0.6180339887498949


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
