"""Sphinx extension: the references generated from the code.

A page says where a reference goes with a marker line::

    <!-- gan-reference: settings -->

and the build replaces it (``source-read``) with the Markdown that the generator of that name
returns, so the page can never disagree with the code: ``settings`` (``wagtail_gan.conf``),
``models`` (the model registry), ``operations`` (the operation registry), ``commands`` (each
management command's ``--help``) and ``api`` (the OpenAPI schema the site serves). The schema
is also published as ``_static/openapi.json``. Nothing is written into the source tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from . import api_ref, commands_ref, django_env, models_ref, operations_ref, settings_ref

MARKER = re.compile(r"^<!-- gan-reference: (?P<name>[a-z-]+) -->$", re.M)
GENERATORS: dict[str, Callable[[], str]] = {
    "settings": settings_ref.render,
    "models": models_ref.render,
    "operations": operations_ref.render,
    "commands": commands_ref.render,
    "api": api_ref.render,
}


class UnknownReference(ValueError):
    pass


def fill(text: str) -> str:
    """``text`` with every ``<!-- gan-reference: NAME -->`` line replaced by its reference."""

    def generate(match: re.Match) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise UnknownReference(f"unknown reference {name!r}; known: {sorted(GENERATORS)}")
        return GENERATORS[name]().rstrip() + "\n"

    return MARKER.sub(generate, text)


def _source_read(app, docname: str, source: list[str]) -> None:
    source[0] = fill(source[0])


def _builder_inited(app) -> None:
    django_env.setup()


def _build_finished(app, exception) -> None:
    try:
        if exception is None and app.builder.format == "html":
            static = Path(app.outdir) / "_static"
            static.mkdir(parents=True, exist_ok=True)
            (static / "openapi.json").write_text(
                json.dumps(api_ref.schema(), indent=2) + "\n", encoding="utf-8")
    finally:
        django_env.cleanup()


def setup(app):
    app.connect("builder-inited", _builder_inited)
    app.connect("source-read", _source_read)
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
