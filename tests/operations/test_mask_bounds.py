"""erase's masks do bounded work whatever the request (issue 20): on the web, shapes are
clamped to the canvas and a PNG's size is read from its header and refused beyond the
image's; on the worker, a huge brush or 20,000 points are drawn within a fixed budget, a
decompression-bomb PNG is refused before decoding, and ``grow`` is a few array passes."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.utils import png_b64
from wagtail_gan.models_zoo.backends import masks
from wagtail_gan.models_zoo.errors import EngineError
from wagtail_gan.operations import InvalidSpec
from wagtail_gan.operations.erase import clean_mask


def painted(mask: dict, size=(1024, 1024), **params) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    image, _ = masks.rasterise({"mask": mask, **params}, size)
    return np.asarray(image) > 127, time.perf_counter() - start


# -- web tier: clean_mask with the image's size ------------------------------------------

def test_shapes_are_clamped_to_the_canvas():
    mask = clean_mask({"strokes": [{"points": [[0, 0], [500, 20]], "radius": 1000}],
                       "rects": [[90, 70, 500, 500]], "size": [100, 80]}, (1000, 800))
    stroke = mask["strokes"][0]
    assert stroke["radius"] == pytest.approx((100**2 + 80**2) ** 0.5)
    assert stroke["points"] == [[0, 0], [100, 20]]
    assert mask["rects"] == [[90, 70, 10, 10]]
    with pytest.raises(InvalidSpec, match="starts outside the image"):
        clean_mask({"rects": [[100, 0, 5, 5]], "size": [100, 80]})


def test_without_a_canvas_the_image_bounds_either_way_round():
    # the source's EXIF orientation may swap width and height: its longer side bounds both
    mask = clean_mask({"strokes": [{"points": [[900, 900]], "radius": 5}]}, (1000, 400))
    assert mask["strokes"][0]["points"] == [[900, 900]]
    mask = clean_mask({"strokes": [{"points": [[5000, 5]], "radius": 5}]}, (1000, 400))
    assert mask["strokes"][0]["points"] == [[1000, 5]]


def test_a_png_is_measured_from_its_header():
    with pytest.raises(InvalidSpec, match=r"20000x20000 pixels, larger than the image"):
        clean_mask({"png": png_b64(20000, 20000)}, (1024, 768))
    assert clean_mask({"png": png_b64(768, 1024)}, (1024, 768))["png"]
    # without an image (the admin form's first check): the site's input limit
    with pytest.raises(InvalidSpec, match="MAX_INPUT_PIXELS"):
        clean_mask({"png": png_b64(20000, 20000)})
    with pytest.raises(InvalidSpec, match="IHDR"):
        clean_mask({"png": base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 20).decode()})


@pytest.mark.parametrize("bad, hint", [
    ({"strokes": [{"points": [[1, 1]] * 20_001}]}, "at most 20000 stroke points"),
    ({"strokes": [{"points": [[True, 1]]}]}, "point x must be a number"),
    ({"rects": [[1, 1, 5, float("inf")]]}, "rect height must be a number"),
    ({"rects": [[1, 1, 5, 5]], "grow": 2.5}, "grow is a whole number"),
])
def test_bad_masks_are_refused_with_a_message(bad, hint):
    with pytest.raises(InvalidSpec, match=hint):
        clean_mask(bad, (100, 100))


# -- worker: rasterise ----------------------------------------------------------------------

def test_a_huge_brush_on_a_tiny_canvas_paints_the_image_at_once():
    # the probe's request: 77 s of drawing before (a 1,024,000 px brush)
    mask, seconds = painted({"strokes": [{"points": [[0, 0], [1, 1]], "radius": 1000}],
                             "size": [1, 1]})
    assert mask.all() and seconds < 1


def test_twenty_thousand_points_are_drawn_within_the_budget():
    rng = np.random.default_rng(1)
    points = (rng.random((20_000, 2)) * 1024).tolist()
    strokes = [{"points": points[i:i + 40], "radius": 1000} for i in range(0, 20_000, 40)]
    mask, seconds = painted({"strokes": strokes, "size": [1024, 1024]}, (2048, 2048))
    assert mask.all() and seconds < 5
    # far outside the canvas: clipped, nothing painted, no time spent
    far = [{"points": [[99_000, 99_000], [100_000, 100_000]] * 20, "radius": 1000}] * 500
    mask, seconds = painted({"strokes": far, "size": [1, 1]}, (2048, 2048))
    assert not mask.any() and seconds < 5


def test_a_mask_over_the_budget_is_drawn_coarser_but_covers_its_strokes(monkeypatch):
    stroke = {"points": [[10, 10], [90, 60]], "radius": 6}
    exact, _ = painted({"strokes": [stroke]}, (100, 80))
    monkeypatch.setattr(masks, "PAINT_BUDGET", 0.05)
    coarse, _ = painted({"strokes": [stroke]}, (100, 80))
    assert abs(int(coarse.sum()) - int(exact.sum())) < 0.25 * exact.sum()
    assert coarse[35, 50] and not coarse[75, 5]


def test_segments_leaving_the_image_keep_their_path():
    # clipped, not clamped: the part inside the image is where the line runs
    mask, _ = painted({"strokes": [{"points": [[0, 50], [100_000, 50]], "radius": 2}]},
                      (100, 100))
    assert mask[50, :].all() and not mask[10, :].any()


def test_grow_is_the_same_square_dilation_and_fast():
    rng = np.random.default_rng(2)
    for n in (1, 2, 5, 13):
        src = Image.fromarray(((rng.random((37, 53)) > 0.97) * 255).astype(np.uint8))
        slow = src
        for _ in range(n):
            slow = slow.filter(ImageFilter.MaxFilter(3))
        assert np.array_equal(np.asarray(masks.dilate(src, n)), np.asarray(slow))
    mask, seconds = painted({"rects": [[10, 10, 10, 10]], "grow": 64}, (4096, 4096))
    assert mask.sum() == (10 + 64 + 10) ** 2 and seconds < 5


def test_a_png_bomb_is_refused_before_decoding():
    with pytest.raises(EngineError, match=r"20000x20000 pixels, larger than the image"):
        painted({"png": png_b64(20000, 20000)})
    with pytest.raises(EngineError, match="not a PNG"):
        painted({"png": base64.b64encode(b"GIF89a" + b"\0" * 30).decode()})
