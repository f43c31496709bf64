"""Wagtail's own test settings (``wagtail.test.settings``) with wagtail-gan installed exactly
as the README says: the install snippet (docs/snippets/install_settings.py) is run at the end
of the settings, as a site appends it. The cache snippet (install_cache.py) is for sites whose
default cache is per-process; Wagtail's test settings already use a DatabaseCache, shared by
processes (and rolled back with each test, where a file cache would leak renditions from one
test to the next). ``scripts/wagtail_suite.py`` runs Wagtail's images tests with these
settings and without them, and compares.

    python -m django test wagtail.images --settings=tests.wagtail_suite.settings
"""

import os
import tempfile
from pathlib import Path

from wagtail.test.settings import *  # noqa: F403

SNIPPETS = Path(__file__).resolve().parents[2] / "docs" / "snippets"
BASE_DIR = os.environ.get("GAN_SUITE_DIR") or tempfile.mkdtemp(prefix="gan-wagtail-suite-")
ROOT_URLCONF = "tests.wagtail_suite.urls"

exec(compile((SNIPPETS / "install_settings.py").read_text(), "install_settings.py", "exec"))
