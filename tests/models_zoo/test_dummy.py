"""backends/dummy.py: the deterministic test backend (no weights, no torch) that web-tier tests
use through a site entry instead of monkeypatching the engine."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from tests.models_zoo.fixtures import photo

pytestmark = pytest.mark.ml


@pytest.fixture
def dummies(settings, tmp_path):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "fake_x4": {"task": "upscale", "family": "dummy", "scale": 4,
                    "default_for": ["upscale-4x"]},
        "fake_winter": {"task": "translate", "family": "dummy", "default_for": ["winterize"]},
        "fake_slow": {"task": "stylize", "family": "dummy", "defaults": {"delay": 0.3}},
        "fake_broken": {"task": "stylize", "family": "dummy",
                        "defaults": {"fail": "the GPU caught fire"}},
    }}


def test_same_spec_same_pixels_other_spec_other_pixels(dummies):
    from wagtail_gan.models_zoo.engine import run

    img = photo(16, 12)
    a = run("winterize", img, params={"strength": 70})
    b = run("winterize", img, params={"strength": 70})
    c = run("winterize", img, params={"strength": 50})
    assert a.model_id == "fake_winter" and a.image.size == (16, 12)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.image.tobytes() != c.image.tobytes()
    # A strength blends the same tint back towards the input (as the real families do) ...
    assert a.params["tint"] == c.params["tint"]
    assert np.abs(np.asarray(c.image, float) - np.asarray(img, float)).mean() < \
        np.abs(np.asarray(a.image, float) - np.asarray(img, float)).mean()
    # ... while anything else that defines the run changes the colour.
    d = run("winterize", img, params={"strength": 70, "other": 1})
    assert a.params["tint"] != d.params["tint"]
    # The input shows through the tint: not a flat image.
    assert np.asarray(a.image).std() > 10


def test_scale_from_params_then_entry_then_one(dummies):
    from wagtail_gan.models_zoo.engine import run

    img = photo(10, 6)
    assert run("upscale-4x", img).image.size == (40, 24)
    assert run("upscale-4x", img, params={"scale": 2}).image.size == (20, 12)
    assert run("fake_winter", img).image.size == (10, 6)
    assert run("fake_winter", img, params={"scale": 1.5}).image.size == (15, 9)


def test_progress_in_steps(dummies):
    from wagtail_gan.models_zoo.engine import run

    seen = []
    run("fake_winter", photo(8, 8), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert len({round(f, 3) for f in seen}) >= 5


def test_delay_sleeps_in_slices_while_reporting(dummies):
    from wagtail_gan.models_zoo.engine import run

    seen = []
    start = time.monotonic()
    result = run("fake_slow", photo(8, 8), progress=lambda f: seen.append((time.monotonic(), f)))
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 3 and result.duration >= 0.3
    assert len(seen) >= 6
    gaps = [b[0] - a[0] for a, b in zip(seen, seen[1:], strict=False)]
    assert max(gaps) < 0.2  # never one long sleep: progress keeps coming
    # params override the entry's defaults
    start = time.monotonic()
    run("fake_slow", photo(8, 8), params={"delay": 0})
    assert time.monotonic() - start < 0.3


def test_fail_raises_engine_error_with_the_message(dummies):
    from wagtail_gan.models_zoo.engine import EngineError, run

    with pytest.raises(EngineError, match="^the GPU caught fire$"):
        run("fake_broken", photo(8, 8))
    with pytest.raises(EngineError, match="^out of ideas$"):
        run("fake_winter", photo(8, 8), params={"fail": "out of ideas"})
    assert run("fake_broken", photo(8, 8), params={"fail": ""}).image.size == (8, 8)


def test_alpha_and_greyscale_go_through_the_engine(dummies):
    from wagtail_gan.models_zoo.engine import run

    rgba = photo(8, 8).convert("RGBA")
    rgba.putalpha(Image.new("L", (8, 8), 0))
    out = run("upscale-4x", rgba).image
    assert out.mode == "RGBA" and out.size == (32, 32) and out.getextrema()[3] == (0, 0)


def test_bad_options_are_clear_errors(dummies):
    from wagtail_gan.models_zoo.engine import EngineError, run

    with pytest.raises(EngineError, match="scale must be"):
        run("fake_winter", photo(8, 8), params={"scale": "huge"})
    with pytest.raises(EngineError, match="delay must be"):
        run("fake_winter", photo(8, 8), params={"delay": "soon"})
