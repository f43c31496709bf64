import pytest


@pytest.fixture(autouse=True)
def _dummy_backend(dummy_models):
    """The rendition/job machinery is tested with the deterministic dummy backend."""
