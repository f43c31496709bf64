"""Django for the docs build: the test suite's settings, no database.

The references are generated from the code, so the build needs the app registry (commands,
the operation and model registries, the API's URLs). ``tests.settings`` is a complete site
(the API under ``/api/gan/``, wagtailmedia for the video endpoints); nothing here opens a
database connection.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_run_dir: str | None = None


def setup() -> None:
    """Configure Django once (a no-op where it already is, e.g. under pytest)."""
    global _run_dir
    from django.conf import settings

    if settings.configured:
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    if "GAN_TEST_RUN_DIR" not in os.environ:
        _run_dir = tempfile.mkdtemp(prefix="gan-docs-")
        os.environ["GAN_TEST_RUN_DIR"] = _run_dir
    import django

    django.setup()


def cleanup() -> None:
    """Remove the scratch folder ``setup`` made for the settings (if it made one)."""
    if _run_dir:
        shutil.rmtree(_run_dir, ignore_errors=True)


@contextmanager
def package_defaults() -> Iterator[None]:
    """``WAGTAIL_GAN`` as a fresh site has it: no site models, an empty models folder (the
    references describe the package, not the machine that builds the docs)."""
    from django.test import override_settings

    with tempfile.TemporaryDirectory() as models_dir:
        with override_settings(WAGTAIL_GAN={"MODELS_DIR": models_dir}):
            yield
