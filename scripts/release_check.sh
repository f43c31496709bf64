#!/usr/bin/env bash
# A release you could publish: build the sdist and the wheel, `twine check` them, check that
# every package file (migrations, templates, static, data) is in both, then install the wheel
# (not editable) in a clean venv and run the sandbox there: migrate, check, render fallbacks.
#   bash scripts/release_check.sh        (PYTHON=... picks the building interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gan-release.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$PY" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
"$PY" -m twine check --strict "$WORK"/dist/*
"$PY" scripts/check_dist.py "$WORK"/dist/*.whl "$WORK"/dist/*.tar.gz

"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q -c constraints.txt "$WORK"/dist/*.whl
# from another folder, so the checkout's wagtail_gan cannot be imported instead of the wheel's
(cd "$WORK" && "$WORK/venv/bin/python" "$OLDPWD/scripts/sandbox_check.py" --installed)
