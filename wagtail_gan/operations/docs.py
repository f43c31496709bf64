"""The operations tables of the docs, generated from the registry.

``table()`` is a Markdown table of the operations (spec, what, rendition filter, editor/API,
fallback, default models). Markdown files (docs/image-edits.md) hold it between markers::

    <!-- operations-table -->                       (every operation)
    <!-- operations-table: removebg expand -->      (only these)
    ...
    <!-- /operations-table -->

``update_blocks(text)`` rewrites those blocks; ``manage.py gan_operations --update docs/image-edits.md``
(or ``--check``) runs it, and a test fails when a committed table differs from the registry's.
The default-model column is the registry's answer for the settings in force: generate the
docs with the package defaults (no site ``MODELS`` or ``UPSCALE_DEFAULTS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wagtail_gan.models_zoo import registry as models

from .base import Operation
from .registry import all_operations

BLOCK = re.compile(r"(<!-- operations-table(?::(?P<names>[^>]*))? -->\n)(?P<body>.*?)"
                   r"(<!-- /operations-table -->)", re.S)
FALLBACKS = {"identity": "the unmodified pixels", "resize": "a resize to the final size"}
HEADER = ("| spec | what | in image tags | editor/API | fallback while pending | default models |\n"
          "|---|---|---|---|---|---|\n")


def _cell(text: str, *, code: bool = False) -> str:
    """One line, with "|" escaped; prose also gets "<" and ">" escaped (``<model id>``)."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    if code:
        return f"`{text}`"
    return text.replace("<", "&lt;").replace(">", "&gt;")


def default_models(op: Operation) -> list[str]:
    """Ids of the models behind the operation's keys (``model_keys``), in that order."""
    ids: list[str] = []
    for key in op.model_keys():
        try:
            model_id = models.default_for(key).id
        except models.UnknownModel:
            continue
        if model_id not in ids:
            ids.append(model_id)
    return ids


def fallback_text(op: Operation) -> str:
    if not op.filter:
        return "—"
    return op.fallback_help or FALLBACKS.get(op.fallback, op.fallback)


def row(op: Operation) -> str:
    cells = [
        _cell(op.synopsis or op.name, code=True),
        _cell(op.description),
        "yes" if op.filter else "no",
        "yes" if op.variant else "no",
        _cell(fallback_text(op)),
        ", ".join(f"`{model_id}`" for model_id in default_models(op)) or "—",
    ]
    return "| " + " | ".join(cells) + " |\n"


def table(names: Iterable[str] | None = None) -> str:
    """The Markdown table of the operations named (all of them: None), in registry order."""
    wanted = set(names) if names else None
    return HEADER + "".join(row(op) for op in all_operations()
                            if wanted is None or op.name in wanted)


def update_blocks(text: str) -> str:
    """``text`` with every marked operations table regenerated."""

    def fill(match: re.Match) -> str:
        names = (match.group("names") or "").split()
        return match.group(1) + table(names or None) + match.group(4)

    return BLOCK.sub(fill, text)
