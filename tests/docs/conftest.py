"""The docs' generators live in ``docs/_ext`` (a Sphinx extension, not part of the package)."""

import sys

import pytest

from tests.utils import ROOT

DOCS = ROOT / "docs"
if str(DOCS / "_ext") not in sys.path:
    sys.path.insert(0, str(DOCS / "_ext"))


@pytest.fixture
def docs_dir():
    return DOCS
