"""Pool slots look different: slot k > 0 runs stylize/winterize at a slot-dependent strength
(``POOL_VARIATION``); upscale never varies."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.cache import caches
from django.test import override_settings
from PIL import Image as PILImage
from wagtail.images.models import Filter

from wagtail_gan import pools
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import worker


def test_slot_factors_are_distinct_and_bounded():
    factors = [pools.slot_strength_factor(k) for k in range(pools.MAX_POOL)]
    assert factors[0] == 1.0
    assert len(set(factors)) == pools.MAX_POOL
    assert all(0.75 < f < 1.0 for f in factors[1:])
    # Small pools already spread over the range (not 1.0, 0.99, 0.98, ...).
    assert max(factors[:4]) - min(factors[:4]) > 0.2


def _op(filter_, name):
    return next(o for o in filter_.operations if getattr(o, "method", "") == name)


def test_pool_strength_per_operation():
    def strength(spec, name):
        filter_ = Filter(spec=spec)
        return pools.pool_strength(_op(filter_, name), filter_)

    assert strength("stylize-3|poolslot-2", "stylize") == pools.slot_strength_factor(2)
    assert strength("width-400|winterize-70|poolslot-1", "winterize") == round(
        0.7 * pools.slot_strength_factor(1), 4)
    assert strength("winterize|poolslot-3", "winterize") == pools.slot_strength_factor(3)
    assert strength("stylize-3|poolslot-0", "stylize") is None  # slot 0: the spec's own look
    assert strength("stylize-3", "stylize") is None  # not a pool
    assert strength("upscale-2x|poolslot-1", "upscale") is None  # enlargements stay faithful
    with override_settings(WAGTAIL_GAN={"POOL_VARIATION": False}):
        assert strength("stylize-3|poolslot-2", "stylize") is None


def _pooled_pixels(image, slots):
    # Image ids are reused between tests and these images have the same file hash, so Wagtail's
    # rendition cache may still hold an earlier test's rendition of the same spec (no new job).
    caches["renditions"].clear()
    out = {}
    for slot in slots:
        spec = pools.slot_spec("stylize-3", slot)
        image.get_rendition(spec)  # web mode: fallback + job
        job = RenditionJob.objects.get(image=image, filter_spec=spec)
        assert worker.run_rendition_job(job.pk).status == "done", job.error
        rendition = image.renditions.get(filter_spec=spec)
        with rendition.file.open("rb") as fh, PILImage.open(fh) as pil:
            out[slot] = np.asarray(pil.convert("RGB"), dtype=np.float32)
    return out


@pytest.mark.django_db
def test_pooled_slots_differ_visibly_on_the_worker(make_image):
    varied = _pooled_pixels(make_image(title="Varied", width=256, height=192, fmt="JPEG"),
                            [0, 1, 3])
    with override_settings(WAGTAIL_GAN={"POOL_VARIATION": False}):
        same = _pooled_pixels(make_image(title="Same", width=256, height=192, fmt="JPEG"),
                              [0, 1])
    watermark_only = np.abs(same[0] - same[1]).mean()
    for a, b in [(0, 1), (0, 3), (1, 3)]:
        diff = np.abs(varied[a] - varied[b]).mean()
        assert diff > 3 * watermark_only and diff > 2.0, (a, b, diff, watermark_only)
    # Slot 3 (factor 0.79) is further from the full effect than slot 1 (0.85).
    assert np.abs(varied[0] - varied[3]).mean() > np.abs(varied[0] - varied[1]).mean()
