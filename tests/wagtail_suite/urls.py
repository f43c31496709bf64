"""Wagtail's test URLconf with wagtail-gan's URLs added as the README says
(docs/snippets/install_urls.py)."""

from pathlib import Path

from wagtail.test.urls import *  # noqa: F403
from wagtail.test.urls import urlpatterns  # noqa: F401  (the snippet extends it)

SNIPPET = Path(__file__).resolve().parents[2] / "docs" / "snippets" / "install_urls.py"
exec(compile(SNIPPET.read_text(), "install_urls.py", "exec"))
