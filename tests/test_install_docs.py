"""The install steps are code: the install guide (docs/getting-started/install.md) includes the
snippet files of docs/snippets/ (tests/integration builds sites from those same files), so the
text and the test cannot drift apart. Also the promises of the install steps that need no
site of their own."""

from __future__ import annotations

import html
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.test import override_settings
from wagtail import hooks

from wagtail_gan.conf import gan_settings

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = sorted((ROOT / "docs" / "snippets").glob("install_*"))
GUIDE = ROOT / "docs" / "getting-started" / "install.md"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[p.name for p in SNIPPETS])
def test_the_install_guide_includes_each_install_snippet(snippet):
    includes = re.findall(r"```\{literalinclude\} \.\./snippets/(\S+)", GUIDE.read_text())
    assert snippet.name in includes, f"{GUIDE.name} must include docs/snippets/{snippet.name}"


def test_the_site_test_follows_the_guide():
    """tests/integration applies every snippet the guide includes, and nothing else."""
    included = set(re.findall(r"```\{literalinclude\} \.\./snippets/(\S+)", GUIDE.read_text()))
    site_test = (ROOT / "tests" / "integration" / "test_wagtail_start.py").read_text()
    applied = {name for name in included
               if f'"{name}"' in site_test or f'"{name.split("/")[-1]}"' in site_test}
    assert applied == included


def test_install_snippets_work_with_a_str_or_a_path_base_dir(tmp_path):
    for base_dir in (str(tmp_path / "str-site"), tmp_path / "path-site"):
        namespace = {"BASE_DIR": base_dir, "INSTALLED_APPS": ["wagtail.images", "wagtail"]}
        for name in ("install_settings.py", "install_cache.py"):
            exec(compile((ROOT / "docs" / "snippets" / name).read_text(), name, "exec"), namespace)
        installed_apps = namespace["INSTALLED_APPS"]
        assert installed_apps.index("wagtail_gan") < installed_apps.index("wagtail.images")
        assert {"rest_framework", "huey.contrib.djhuey"} <= set(installed_apps)
        assert namespace["HUEY"]["filename"] == str(Path(base_dir, "data", "huey.sqlite3"))
        assert namespace["CACHES"]["renditions"]["LOCATION"] == str(
            Path(base_dir, "data", "renditions-cache"))


def _check_ids(**kwargs) -> set[str]:
    return {m.id for m in checks.run_checks(**kwargs) if m.id and m.id.startswith("wagtail_gan")}


def test_a_renditions_cache_that_cannot_be_imported_is_a_check_error(monkeypatch):
    """Django's RedisCache imports redis on first use: without the package every page with an
    image would be a 500; the check says so before."""
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "redis" else real_find_spec(name, *a))
    redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                   "LOCATION": "redis://127.0.0.1:6379/1"}
    with override_settings(CACHES={**settings.CACHES, "renditions": redis_cache}):
        messages = [m for m in checks.run_checks() if m.id == "wagtail_gan.E004"]
    assert len(messages) == 1 and messages[0].level == checks.ERROR
    assert "'redis'" in messages[0].msg and "wagtail-gan[redis]" in messages[0].hint
    assert "wagtail_gan.E004" not in _check_ids()  # the test settings' file cache is fine


def test_missing_url_include_is_a_check_warning():
    assert "wagtail_gan.W008" not in _check_ids()  # the test URLconf includes wagtail_gan.urls
    without = ModuleType("urls_without_wagtail_gan")
    without.urlpatterns = []
    with override_settings(ROOT_URLCONF=without):
        assert "wagtail_gan.W008" in _check_ids()


@pytest.mark.django_db
def test_anonymous_api_calls_get_401_without_authtoken(client, monkeypatch):
    """The documented 401 holds whether or not rest_framework.authtoken is installed."""
    assert client.get("/api/gan/jobs/").status_code == 401
    installed = apps.is_installed
    # (re-populating INSTALLED_APPS re-runs Wagtail 8's ready(), which refuses to run twice)
    monkeypatch.setattr(apps, "is_installed",
                        lambda name: name != "rest_framework.authtoken" and installed(name))
    response = client.get("/api/gan/jobs/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Session")


def test_models_and_pending_dirs_default_outside_the_site(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    settings.WAGTAIL_GAN = {}
    assert gan_settings.models_dir == tmp_path / "data-home" / "wagtail-gan" / "models"
    assert gan_settings.pending_dir == tmp_path / "data-home" / "wagtail-gan" / "pending"
    assert ROOT not in gan_settings.models_dir.parents
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path / "m"), "PENDING_DIR": tmp_path / "p"}
    assert gan_settings.models_dir == tmp_path / "m" and gan_settings.pending_dir == tmp_path / "p"


def _global_admin_js() -> str:
    return "".join(str(fn()) for fn in hooks.get_hooks("insert_global_admin_js"))


def test_global_admin_script_is_a_static_file_and_the_video_button_needs_wagtailmedia(
        monkeypatch):
    """No inline script (a strict CSP would block it): the script is a static file, its data
    a data-* attribute; "Interpolate (AI)" on wagtailmedia's edit page only with wagtailmedia
    ("Make a clip" is rendered in the image panel: see the next test)."""
    def config(markup: str) -> dict:
        scripts = re.findall(r"<script\b[^>]*>", markup)
        assert scripts and all(" src=" in tag for tag in scripts), markup
        ours = re.search(r'data-gan-config="([^"]*)"', markup)
        return json.loads(html.unescape(ours.group(1)))

    with_media = config(_global_admin_js())
    assert with_media["media"] and with_media["interpolate"]
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "wagtailmedia" and installed(name))
    without = config(_global_admin_js())
    assert "clip" not in without and "interpolate" not in without
    assert without["awaiting"]  # the menu count is still fetched


@pytest.mark.django_db
def test_the_panels_clip_button_needs_wagtailmedia(client, gan_world, monkeypatch):
    client.force_login(gan_world.editor)
    url = f"/admin/images/{gan_world.image.pk}/"
    assert "/admin/gan/video/clip/?image=" in client.get(url).content.decode()
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "wagtailmedia" and installed(name))
    page = client.get(url).content.decode()
    assert "/admin/gan/video/clip/" not in page and "Make a clip" not in page


@pytest.mark.django_db
def test_the_variant_panel_has_no_inline_script(client, gan_world):
    """The panel's image chooser (style of another image) is initialised by the gan-chooser
    Stimulus controller from data-* attributes, not by Wagtail's inline script."""
    client.force_login(gan_world.editor)
    page = client.get(f"/admin/images/{gan_world.image.pk}/").content.decode()
    panel = page[page.index('<div class="gan-image-panel"'):]
    panel = panel[:panel.index('<section class="gan-variants"')] if "gan-variants" in panel \
        else panel[:panel.index("</form>")]
    assert 'data-controller="gan-chooser"' in panel and "data-gan-chooser-options-value" in panel
    assert "<script" not in panel
    assert "wagtail_gan/js/gan-chooser.js" in page
