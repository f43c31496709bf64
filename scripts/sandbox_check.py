"""Check an installed wagtail-gan on the sandbox: migrate, ``check``, load the sample content
and render the home page, whose ML filters must come back as correct-size fallbacks with
their rendition jobs queued. Used by the release check (a clean venv with the wheel, not the
checkout) and the Wagtail 7.4 nox session.

    python scripts/sandbox_check.py [--data-dir DIR]

Runs on the embedded default (SQLite + SqliteHuey in DIR, a temporary folder by default);
no worker is needed: a fallback is what a page shows before the worker has run the model.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--installed", action="store_true",
                        help="fail unless wagtail_gan comes from an installed wheel")
    args = parser.parse_args()
    os.environ["SANDBOX_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="gan-sandbox-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("WAGTAIL_GAN_REDIS_URL", None)
    sys.path.insert(0, str(ROOT / "sandbox"))

    # imported after the environment above is set: Django reads it at import and setup
    import django  # noqa: PLC0415

    django.setup()
    import wagtail  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    import wagtail_gan  # noqa: PLC0415
    from wagtail_gan.models import RenditionJob  # noqa: PLC0415

    print(f"wagtail-gan {wagtail_gan.__version__} from {Path(wagtail_gan.__file__).parent}; "
          f"Wagtail {wagtail.__version__}, Django {django.__version__}, "
          f"Python {sys.version.split()[0]}")
    if args.installed and ROOT in Path(wagtail_gan.__file__).resolve().parents:
        print("FAIL: wagtail_gan was imported from the checkout, not from the installed wheel")
        return 1
    call_command("migrate", verbosity=0)
    call_command("check", fail_level="WARNING")
    call_command("sandbox_setup", "--password", "sandbox-check", verbosity=0)
    response = Client().get("/", HTTP_HOST="localhost")
    html = response.content.decode()
    if response.status_code != 200:
        print(f"FAIL: the home page answered {response.status_code}")
        return 1
    tag = re.search(r'<img[^>]*src="[^"]*\.stylize-3\.[^"]*"[^>]*>', html)
    width = re.search(r'width="(\d+)"', tag.group(0)) if tag else None
    if not tag or not width or width.group(1) != "480":
        print("FAIL: no 480 px fallback of `width-480 stylize-3` on the home page")
        return 1
    job = RenditionJob.objects.filter(filter_spec="width-480|stylize-3").first()
    if job is None or job.status != RenditionJob.Status.PENDING:
        print(f"FAIL: the stylize-3 rendition job is {job and job.status!r}, not pending")
        return 1
    print(f"OK: migrated, `check` clean, home page 200 with a 480 px stylize-3 fallback and "
          f"{RenditionJob.objects.count()} rendition jobs pending for the worker")
    return 0


if __name__ == "__main__":
    sys.exit(main())
