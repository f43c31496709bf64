import pytest

from tests.conftest import DUMMY_MODELS, gan_models_override


@pytest.fixture(autouse=True)
def _dummy_backend(dummy_models):
    """The rendition/job machinery is tested with the deterministic dummy backend."""


@pytest.fixture
def missing_models(settings):
    """winterize, the free-form edit and text-to-image fall back to their built-in models,
    which a fresh install does not have."""
    gan_models_override(settings, {name: {**DUMMY_MODELS[name], "default_for": []}
                                   for name in ("dummy_winterize", "dummy_edit",
                                                "dummy_generate")})
