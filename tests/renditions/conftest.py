import pytest
from huey.contrib.djhuey import HUEY
from wagtail.models import Collection


@pytest.fixture(autouse=True)
def _dummy_backend(dummy_models):
    """The rendition/job machinery is tested with the deterministic dummy backend."""


@pytest.fixture
def empty_queue(transactional_db):
    """An empty queue before and after the test (its tests count what it enqueues), and the
    root collection that transactional tests flush."""
    if not Collection.objects.exists():  # transactional tests flush the migrations' data
        Collection.add_root(name="Root")
    HUEY.flush()
    yield
    HUEY.flush()
