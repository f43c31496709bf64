"""Sphinx configuration of the wagtail-gan documentation (MyST Markdown, Wagtail's theme).

Build with ``make docs`` (warnings are errors; internal links and anchors are checked
offline). The references are generated from the code by ``_ext/gan_docs``.
"""

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "wagtail-gan"
author = "wagtail-gan contributors"
copyright = "wagtail-gan contributors; BSD-3-Clause"
try:
    release = version("wagtail-gan")
except PackageNotFoundError:  # building from a checkout that is not installed
    release = "dev"
version = release

extensions = [
    "myst_parser",
    "sphinx_wagtail_theme",
    "gan_docs",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "snippets", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_inline"]
# Headings up to ### get anchors, so pages link to sections ([text](page.md#section)).
myst_heading_anchors = 3
myst_links_external_new_tab = False

nitpicky = True
suppress_warnings: list[str] = []

html_theme = "sphinx_wagtail_theme"
html_title = "wagtail-gan documentation"
html_short_title = "wagtail-gan"
html_theme_options = {
    "project_name": "wagtail-gan",
    "github_url": "https://github.com/wagtail-gan/wagtail-gan/blob/main/docs/",
    "footer_links": "Source code|https://github.com/wagtail-gan/wagtail-gan,"
                    "Wagtail|https://wagtail.org/",
    "header_links": "",
}
html_static_path = ["_static"]
html_css_files = ["gan.css"]
html_show_sourcelink = False
html_last_updated_fmt = None

# `make docs-linkcheck`: internal references and anchors only; nothing reaches the network.
linkcheck_ignore = [r"^https?://", r"^mailto:"]
linkcheck_anchors = True
