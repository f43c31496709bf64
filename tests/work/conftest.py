import pytest


@pytest.fixture(autouse=True)
def _dummy_backend(dummy_models):
    """The job engine is tested with the deterministic dummy backend."""
