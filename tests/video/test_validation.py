"""Video request fields checked on the web tier, before any job exists."""

from __future__ import annotations

import pytest

from wagtail_gan.exceptions import JobError
from wagtail_gan.models_zoo import registry
from wagtail_gan.video.validation import clean_engine


def test_auto_engine_is_the_model_where_installed_else_the_blend(settings, monkeypatch):
    monkeypatch.setattr(registry, "is_available", lambda task: False)
    assert clean_engine("auto") == "blend"
    assert clean_engine("blend") == "blend"
    with pytest.raises(JobError, match="not installed"):
        clean_engine("model")
    monkeypatch.setattr(registry, "is_available", lambda task: task == "interpolate")
    assert clean_engine("auto") == "model"
    assert clean_engine(None) == "model"
    with pytest.raises(JobError, match="“auto”"):
        clean_engine("fast")
