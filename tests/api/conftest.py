import pytest
from django.core.cache import cache

from tests.api.helpers import build_world


@pytest.fixture(autouse=True)
def _dummy_backend(dummy_models):
    """The rendition/job machinery is tested with the deterministic dummy backend."""


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_world(make_image, db):
    """Collections, groups, users and images of ``helpers.build_world``."""
    return build_world(make_image)
