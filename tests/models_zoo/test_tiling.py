"""tiling.py: tiles cover the image with overlap, stitch without seams, and shrink on OOM."""

from __future__ import annotations

import numpy as np
import pytest

from tests.models_zoo.fixtures import photo

pytestmark = pytest.mark.ml


def test_tiled_equals_untiled_for_sr(gan_tiny_models):
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.backends import sr

    desc = sr.load(registry.get("realesrgan_x4plus"), "cpu")
    img = photo(72, 56)
    whole = np.asarray(sr.run_model(desc, img, device="cpu", tile=0), np.float32)
    tiled = np.asarray(sr.run_model(desc, img, device="cpu", tile=40, overlap=12), np.float32)
    seamy = np.asarray(sr.run_model(desc, img, device="cpu", tile=40, overlap=0), np.float32)
    assert whole.shape == tiled.shape == (224, 288, 3)
    assert whole.std() > 20  # the tiny random model produces texture, not a flat image
    diff = np.abs(whole - tiled)
    # 0..255 scale. The random 1-block RRDB sees further than the overlap, so a few pixels
    # differ a little; without overlap the seams are obvious.
    assert diff.mean() < 1.0 and diff.max() <= 32
    assert np.abs(whole - seamy).mean() > 5 * diff.mean()


def test_tile_boxes_cover_with_overlap():
    from wagtail_gan.models_zoo.tiling import tile_boxes

    boxes = tile_boxes(100, 32, 4)
    assert boxes[0][0] == 0 and boxes[-1][1] == 100
    for (_, a_end), (b_start, _) in zip(boxes, boxes[1:], strict=False):
        assert b_start <= a_end - 2 * 4  # neighbours overlap by at least 2 * overlap
    assert tile_boxes(20, 32, 4) == [(0, 20)]


def test_oom_retries_with_smaller_tiles():
    import torch

    from wagtail_gan.models_zoo import tiling

    calls = []

    def fn(piece):
        calls.append(piece.shape[-1])
        if piece.shape[-1] > 16:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return piece

    out = tiling.run_tiled_with_oom_retry(fn, torch.rand(1, 3, 40, 40), scale=1, tile=64,
                                           overlap=2, progress=None, min_tile=8)
    assert out.shape == (40, 40, 3)
    assert max(calls[-4:]) <= 16 and calls[0] == 40


def test_cyclegan_tiles_large_inputs(gan_tiny_models):
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.backends import cyclegan

    net = cyclegan.load(registry.get("cyclegan_summer2winter_yosemite"), "cpu")
    img = photo(70, 54)
    seen = []
    tiled = cyclegan.run_model(net, img, device="cpu", tile=32, overlap=8, progress=seen.append)
    whole = cyclegan.run_model(net, img, device="cpu", tile=0)
    assert tiled.size == whole.size == (70, 54)
    assert len(seen) == 4 * 3  # columns at 0, 16, 32, 38; rows at 0, 16, 22
    # (No closeness check here: instance norm gives each tile its own statistics, and with
    # random weights that changes the noise-like output a lot. Real weights tile at 1024 px.)
    assert np.asarray(tiled).std() > 0


def test_tiles_are_even_and_as_few_as_the_overlap_allows():
    from wagtail_gan.models_zoo.tiling import tile_boxes

    for size, tile, overlap in ((1000, 256, 16), (1000, 512, 16), (301, 64, 8), (65, 64, 8)):
        boxes = tile_boxes(size, tile, overlap)
        lengths = {b - a for a, b in boxes}
        assert len(lengths) == 1 and lengths.pop() <= tile  # batchable: one shape
        assert boxes[0][0] == 0 and boxes[-1][1] == size
        for (_, a_end), (b_start, _) in zip(boxes, boxes[1:], strict=False):
            assert a_end - b_start >= 2 * overlap
        assert len(boxes) == max(2, -(-(size - 2 * overlap) // (tile - 2 * overlap)))
    assert tile_boxes(1000, 256, 16) == [(0, 226), (194, 420), (387, 613), (580, 806),
                                         (774, 1000)]


def test_batched_tiles_equal_single_tiles():
    import torch

    from wagtail_gan.models_zoo.tiling import tiled_apply

    x = torch.from_numpy(np.asarray(photo(50, 37)).transpose(2, 0, 1).copy())[None]
    calls = []

    def fn(t):
        calls.append(t.shape[0])
        return torch.nn.functional.interpolate(t, scale_factor=2, mode="bilinear")

    one = tiled_apply(fn, x, scale=2, tile=16, overlap=2)
    n_single = len(calls)
    calls.clear()
    three = tiled_apply(fn, x, scale=2, tile=16, overlap=2, batch=3)
    assert np.array_equal(one, three) and max(calls) == 3 and len(calls) < n_single
