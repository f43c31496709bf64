"""Hand-written reference pages that list things the code defines stay equal to the code, and
the docs' offline link check finds broken internal links and anchors."""

from __future__ import annotations

import re

from check_links import broken_links

from tests.utils import ROOT
from wagtail_gan.templatetags import gan_pools, gan_renditions


def test_system_checks_page_lists_every_check_of_the_code(docs_dir):
    in_code = set()
    for module in (ROOT / "wagtail_gan").rglob("*.py"):
        in_code |= set(re.findall(r'id="(wagtail_gan\.[EW]\d{3})"', module.read_text()))
    page = (docs_dir / "reference" / "checks.md").read_text()
    documented = set(re.findall(r"^\| `(wagtail_gan\.[EW]\d{3})` \|", page, re.M))
    assert in_code and documented == in_code


def test_template_tags_page_lists_every_tag_and_filter(docs_dir):
    page = (docs_dir / "reference" / "template-tags.md").read_text()
    for library in (gan_renditions, gan_pools):
        name = library.__name__.rsplit(".", 1)[1]
        section = page.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        documented = {(n, kind) for n, kind in re.findall(r"^`(\w+)` \((tag|filter)\)$",
                                                          section, re.M)}
        in_code = ({(n, "tag") for n in library.register.tags}
                   | {(n, "filter") for n in library.register.filters})
        assert documented == in_code, name


def write(path, html):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body>{html}</body></html>")


def test_link_check_finds_missing_files_and_anchors(tmp_path):
    write(tmp_path / "index.html", '<a href="guide/page.html#setup">ok</a>'
          '<a href="https://example.org/nowhere">external: not followed</a>'
          '<img src="_static/logo.png"><a href="#top" id="top">self</a>')
    write(tmp_path / "guide" / "page.html", '<section id="setup"></section>'
          '<a href="../index.html#gone">gone</a><a href="missing.html">missing</a>'
          '<p>"&lt;base64 PNG&gt;" is text</p><a href="../">folder</a>')
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "logo.png").write_bytes(b"png")
    assert broken_links(tmp_path) == [
        "guide/page.html: ../index.html#gone (no anchor #gone)",
        "guide/page.html: missing.html (no such file)",
    ]


def test_link_check_sees_a_page_as_a_browser_does(tmp_path):
    # Raw "stylize-<style>" in generated text opens a <style> element that swallows the rest
    # of the page (it did, in the API reference, before the generators escaped "<"): the
    # anchors after it are gone for the browser, and for the check.
    write(tmp_path / "index.html", '<a href="#later">later</a><p>stylize-<style>-3</p>'
          '<section id="later"></section>')
    assert broken_links(tmp_path) == ["index.html: #later (no anchor #later)"]
    write(tmp_path / "index.html", '<a href="#later">later</a><p>stylize-&lt;style&gt;-3</p>'
          '<section id="later"></section>')
    assert broken_links(tmp_path) == []
