"""Offline link check of the built HTML: every internal link (``href``/``src`` without a
scheme) must name a file of the build and, with ``#anchor``, an element with that id in it.
External links are not followed (nothing here reaches the network).

    python docs/_ext/check_links.py docs/_build/html
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

SKIP_SCHEMES = ("http", "https", "mailto", "javascript", "data")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "canonical"):
                self.links.append(attrs[key])


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def broken_links(root: Path) -> list[str]:
    """``"page.html: link (why)"`` for every internal link of the build that goes nowhere."""
    root = root.resolve()
    pages = {path: parse(path) for path in sorted(root.rglob("*.html"))}
    problems = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in SKIP_SCHEMES or parts.netloc:
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            where = f"{path.relative_to(root)}: {link}"
            if not target.is_relative_to(root):
                problems.append(f"{where} (outside the build)")
            elif target.is_dir():
                if not (target / "index.html").exists():
                    problems.append(f"{where} (a folder without index.html)")
            elif not target.exists():
                problems.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = (pages.get(target) or parse(target)).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where} (no anchor #{parts.fragment})")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "docs/_build/html")
    if not root.is_dir():
        print(f"{root}: not built", file=sys.stderr)
        return 2
    problems = broken_links(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    count = sum(1 for _ in root.rglob("*.html"))
    print(f"internal links: {count} pages checked, {len(problems)} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
