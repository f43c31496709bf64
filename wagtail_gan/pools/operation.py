"""The ``poolslot-<k>`` image operation: watermarks each pooled ML rendition with its slot."""

from __future__ import annotations

from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.image_operations import FilterOperation
from willow.plugins.pillow import PillowImage

from ..conf import gan_settings
from ..imaging import to_pil
from ..operations import parse_int
from ..work.context import current_worker_context
from .slots import MAX_POOL


class PoolSlotOperation(FilterOperation):
    """``poolslot-<k>``: in the worker, after the ML operations of the spec, embed the
    watermark (kind "rendition", the rendition job's id, slot k). Elsewhere a no-op."""

    def construct(self, slot):
        value = parse_int(str(slot), 0, MAX_POOL - 1)
        if value is None:
            raise InvalidFilterSpecError(f"poolslot takes a slot number 0..{MAX_POOL - 1}")
        self.slot = value

    def run(self, willow, image, env):
        worker = current_worker_context()
        if worker is None or worker.job is None or not worker.model_ids:
            return willow  # the fallback (no model ran) is not marked
        if not gan_settings.WATERMARK:
            return willow
        from ..provenance import watermark  # noqa: PLC0415 - numpy: the worker has it, the web tier may not

        pil = to_pil(willow)
        if min(pil.size) < watermark.MIN_SIDE:
            return willow
        payload = watermark.Payload(watermark.KIND_RENDITION, worker.job.pk % 2**32, self.slot)
        return PillowImage(watermark.embed(pil, payload))


OPERATIONS = [("poolslot", PoolSlotOperation)]
