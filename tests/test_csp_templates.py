"""Sites run a strict Content-Security-Policy (``default-src 'self'``): none of our templates
may hold an inline script, an inline event handler or an inline style attribute (each is
refused by such a policy). Scripts are static files with their data in ``data-*``
attributes; styles are classes in our static CSS."""

from __future__ import annotations

import re

import pytest

from tests.utils import ROOT

TEMPLATES = sorted((ROOT / "wagtail_gan" / "templates").rglob("*.html"))
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_template_has_nothing_a_strict_csp_refuses(template):
    text = template.read_text()
    found = [f"{what}: {m.group(0)[:80]}" for what, pattern in INLINE.items()
             for m in pattern.finditer(text)]
    assert found == []
