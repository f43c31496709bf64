"""Settings of ``benchmarks/gpu_check.py``: its own process and the ``run_huey`` worker it starts.

The sandbox's settings in the check's temp folder (``SANDBOX_DATA_DIR``: SQLite + SqliteHuey),
tables created from the models (``migrate --run-syncdb`` without migrations: under a second
instead of ~20 s; the schema the worker uses is the same), and ``WAGTAIL_GAN`` extended by the
JSON file named in ``GAN_CHECK_CONFIG`` (the temp MODELS_DIR and the registry entries that point
at the locally built weights, threads, device).
"""

import json
import os

from sandbox.settings import *  # noqa: F403
from sandbox.settings import LOGGING, WAGTAIL_GAN


class _NoMigrations:
    """MIGRATION_MODULES that disables every app's migrations (syncdb creates the tables)."""

    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


MIGRATION_MODULES = _NoMigrations()

if os.environ.get("GAN_CHECK_CONFIG"):
    with open(os.environ["GAN_CHECK_CONFIG"]) as _fh:
        WAGTAIL_GAN = {**WAGTAIL_GAN, **json.load(_fh)}

# The check prints its own figures; the worker's log goes to a file.
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"],
                                  "wagtail_gan": {"handlers": ["console"], "level": "WARNING"}}}
