"""runtime.py: inputs of every colour mode normalised (and put back), EXIF, the model cache."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.models_zoo.fixtures import photo

pytestmark = pytest.mark.ml


def test_prepare_modes():
    from wagtail_gan.models_zoo.runtime import prepare

    rgba = photo().convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(rgba.size))
    p = prepare(rgba)
    assert p.rgb.mode == "RGB" and p.alpha is not None

    pal = photo().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    pal.info["transparency"] = 0
    p = prepare(pal)
    assert p.alpha is not None and p.alpha.getextrema()[0] == 0

    arr16 = (np.linspace(0, 65535, 48 * 40).reshape(40, 48)).astype(np.uint16)
    p = prepare(Image.fromarray(arr16))
    assert p.greyscale and p.rgb.getextrema()[0] == (0, 255)
    dark = prepare(Image.fromarray(np.full((4, 4), 200, np.uint16)))  # 16-bit, nearly black
    assert dark.rgb.getextrema()[0] == (1, 1)

    p = prepare(photo().convert("CMYK"))
    assert p.rgb.mode == "RGB"
    assert np.abs(np.asarray(p.rgb, np.int16) - np.asarray(photo(), np.int16)).mean() < 3

    la = photo().convert("LA")
    p = prepare(la)
    assert p.greyscale and p.alpha is None  # fully opaque alpha is dropped


def test_exif_orientation_is_applied():
    from wagtail_gan.models_zoo.runtime import prepare

    img = photo(48, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    p = prepare(Image.open(io.BytesIO(buf.getvalue())))
    assert p.rgb.size == (40, 48)


def test_model_cache_evicts_least_recently_used(settings):
    from wagtail_gan.models_zoo.runtime import ModelCache

    settings.WAGTAIL_GAN = {"MODEL_CACHE_MB": 3}
    cache = ModelCache()
    mb = 1024 * 1024
    for key in ("a", "b"):
        cache.get(key, lambda key=key: key.upper(), lambda v: mb)
    assert cache.get("a", lambda: "reloaded") == "A"  # hit: "a" becomes most recent
    cache.get("c", lambda: "C", lambda v: 2 * mb)  # 4 MB > 3 MB: evict the LRU ("b")
    assert cache.keys() == ["a", "c"]
    assert cache.loads == 3
