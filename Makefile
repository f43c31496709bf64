# wagtail-gan developer commands. Everything runs from the repository root.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= worker,offline,provenance,dev

.PHONY: install demo test test-sqlite test-site test-services matrix wagtail-suite release-check smoke lint docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip setuptools wheel

install: $(PY)
	$(PY) -m pip install -c constraints.txt -e ".[$(EXTRAS)]"

## The demo: venv, install (worker extra), migrate, samples, offline models, web + worker.
demo: install
	bash scripts/demo.sh

## The test suite: SQLite + SqliteHuey always, a brand-new `wagtail start` site set up from
## the README's snippets, then PostgreSQL + Redis where reachable (with CI=true an unreachable
## service fails the run).
test: install
	$(MAKE) test-sqlite test-site test-services

test-sqlite:
	GAN_TEST_DB=sqlite GAN_TEST_QUEUE=sqlite $(PY) -m pytest -m "not site" $(PYTEST_ARGS)

test-site:
	GAN_TEST_DB=sqlite GAN_TEST_QUEUE=sqlite $(PY) -m pytest -m site $(PYTEST_ARGS)

test-services:
	GAN_TEST_DB=postgres GAN_TEST_QUEUE=redis $(PY) -m pytest -m "not ml and not browser" $(PYTEST_ARGS)

## The Wagtail 7.4 / 8.x, Django 5.2 / 6.0, Python 3.11-3.13 matrix: web-tier tests, no torch.
NOX_ENVDIR ?= .nox
matrix: $(PY)
	$(VENV)/bin/nox --envdir "$(NOX_ENVDIR)"

## Wagtail's own images tests with wagtail-gan installed (and without it too when any fails,
## to tell ours from Wagtail's own): nothing may break.
wagtail-suite: $(PY)
	$(PY) scripts/wagtail_suite.py

## Build the sdist and wheel, twine check, install the wheel in a clean venv, run the sandbox.
release-check: $(PY)
	PYTHON=$(PY) bash scripts/release_check.sh

## Non-interactive end to end: web + real worker, render a page, wait for the worker.
smoke: install
	bash scripts/smoke.sh

## Lint: ruff (with the drift guards: blank lines, imports at the top of modules), the
## architecture contracts, the docs' and docstrings' references (tests/test_references.py),
## migrations.
lint: $(PY)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -p no:cacheprovider tests/test_references.py
	$(PY) sandbox/manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings_custom_image PYTHONPATH=. $(PY) -m django makemigrations --check --dry-run

## The documentation site (docs/_build/html, from a clean build): Sphinx + MyST, warnings are
## errors, references generated from the code, then an offline check of internal links/anchors.
docs:
	rm -rf docs/_build
	$(PY) -m sphinx -W --keep-going -n -q -b html docs docs/_build/html
	$(PY) docs/_ext/check_links.py docs/_build/html

clean:
	rm -rf sandbox/data .pytest_cache .nox dist build docs/_build
