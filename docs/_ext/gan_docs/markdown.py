"""Small Markdown helpers shared by the generated references."""

from __future__ import annotations

import inspect
import pprint
import re
from typing import Any

_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def escape_html(text: str) -> str:
    """``<`` and ``>`` outside code spans as entities: MyST passes inline HTML through, so
    ``"<base64 PNG>"`` in a description would otherwise open an HTML element."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out.append(text[last:span.start()].replace("<", "&lt;").replace(">", "&gt;"))
        out.append(span.group(0))
        last = span.end()
    out.append(text[last:].replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def prose(text: str) -> str:
    """A docstring-like text as one Markdown paragraph: indentation and line breaks removed,
    no raw HTML."""
    return escape_html(" ".join(inspect.cleandoc(str(text or "")).split()))


def cell(text: Any) -> str:
    """Table-cell text: one line, ``|`` escaped, no raw HTML."""
    return escape_html(" ".join(str(text).split()).replace("|", "\\|"))


def code(text: Any) -> str:
    """Inline code that survives backticks inside."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def literal(value: Any) -> str:
    """A Python value as a settings file would spell it (large ints with ``_`` groups)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:_}"
    return pprint.pformat(value, width=88, sort_dicts=False)


def label(*parts: str) -> str:
    """A Sphinx label: lower case, letters, digits and ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
