"""The code the docs show is the code the tests run: the install snippets (docs/snippets/)
in a `wagtail start` project, the template snippets rendered against the test database, the
Python snippet on the dummy backend, and the API session checked against the schema."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import types
from pathlib import Path

import pytest
import wagtail
from django.conf import settings
from django.core import checks
from django.template import Context, Engine, Template
from django.test import RequestFactory, override_settings
from django.urls import include, path, reverse
from huey.contrib.djhuey import HUEY
from PIL import Image
from wagtail import urls as wagtail_urls
from wagtail.models import Collection

from tests.utils import ROOT
from wagtail_gan import conf
from wagtail_gan.checks import app_order_messages
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import worker

SNIPPETS = ROOT / "docs" / "snippets"
PROJECT_TEMPLATE = Path(wagtail.__file__).parent / "project_template"


def wagtail_start_settings(base_dir: Path) -> dict:
    """The namespace of a fresh `wagtail start mysite` project's settings/base.py."""
    source = Engine().from_string(
        (PROJECT_TEMPLATE / "project_name" / "settings" / "base.py").read_text()
    ).render(Context({"project_name": "mysite", "docs_version": "5.2",
                      "django_version": "5.2"}))
    settings_file = base_dir / "mysite" / "settings" / "base.py"
    namespace = {"__file__": str(settings_file), "__name__": "mysite.settings.base"}
    exec(compile(source, "base.py", "exec"), namespace)
    return namespace


def test_settings_snippet_makes_a_wagtail_start_project_pass_the_checks(tmp_path):
    namespace = wagtail_start_settings(tmp_path)
    assert namespace["BASE_DIR"] == tmp_path
    for name in ("install_settings.py", "install_cache.py"):
        exec(compile((SNIPPETS / name).read_text(), name, "exec"), namespace)

    apps = namespace["INSTALLED_APPS"]
    assert app_order_messages(apps) == []
    assert apps.index("wagtail_gan") < apps.index("wagtail.images")
    assert {"rest_framework", "huey.contrib.djhuey"} <= set(apps)
    huey = namespace["HUEY"]
    assert huey["immediate"] is False and huey["huey_class"] == "huey.SqliteHuey"
    assert Path(huey["filename"]).parent == tmp_path / "data"
    assert namespace["CACHES"]["renditions"]["BACKEND"].endswith("FileBasedCache")
    assert set(namespace["WAGTAIL_GAN"]) <= set(conf.SETTINGS)
    # The test site's own apps include the snippet's, so wagtail-gan's checks can run on the
    # snippet's queue, cache and WAGTAIL_GAN here.
    assert set(apps) - {"home", "search", "django_filters"} <= set(settings.INSTALLED_APPS)
    with override_settings(HUEY=huey, CACHES=namespace["CACHES"],
                           WAGTAIL_GAN=namespace["WAGTAIL_GAN"]):
        ids = {m.id for m in checks.run_checks() if (m.id or "").startswith("wagtail_gan")}
    assert ids == set()


def readme_install_block() -> str:
    """The README's short version of the install steps (its first python block)."""
    text = (ROOT / "README.md").read_text()
    return re.search(r"## Install it in your site.*?```python\n(.*?)```", text, re.S).group(1)


@pytest.mark.parametrize("base_dir_type", [Path, str])
@pytest.mark.parametrize("site_has", [False, True])
def test_readme_short_install_says_what_the_snippets_say(tmp_path, base_dir_type, site_has):
    """The README's few lines and the install guide's snippets give a `wagtail start` project
    the same apps, queue, renditions cache and URLs (the README must not say otherwise)."""
    catch_all = path("", include(wagtail_urls))
    results = []
    for files in (["README"], ["install_settings.py", "install_cache.py", "install_urls.py"]):
        namespace = wagtail_start_settings(tmp_path)
        namespace["BASE_DIR"] = base_dir_type(namespace["BASE_DIR"])
        namespace.update(path=path, include=include, urlpatterns=[catch_all])
        if site_has:  # a site with DRF already, its apps as a tuple and its own caches
            namespace["INSTALLED_APPS"] = (*namespace["INSTALLED_APPS"], "rest_framework")
            namespace["CACHES"] = {"default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0"}}
        for name in files:
            source = readme_install_block() if name == "README" else (SNIPPETS / name).read_text()
            exec(compile(source, name, "exec"), namespace)
        urlconf = types.ModuleType("docs_urls")
        urlconf.urlpatterns = namespace["urlpatterns"]
        apps = namespace["INSTALLED_APPS"]
        assert len(apps) == len(set(apps)) and apps.index("wagtail_gan") < apps.index("wagtail.images")
        results.append((apps, namespace["HUEY"], namespace["CACHES"],
                        reverse("wagtail_gan:rendition_status", urlconf=urlconf),
                        reverse("wagtail_gan_api:operations", urlconf=urlconf),
                        urlconf.urlpatterns[-1] is catch_all))
    assert results[0] == results[1]


def test_urls_snippet_puts_the_routes_before_wagtails_pages():
    catch_all = path("", include(wagtail_urls))
    namespace = {"urlpatterns": [catch_all]}
    exec(compile((SNIPPETS / "install_urls.py").read_text(), "install_urls.py", "exec"), namespace)
    urlconf = types.ModuleType("docs_urls")
    urlconf.urlpatterns = namespace["urlpatterns"]
    assert urlconf.urlpatterns[-1] is catch_all
    assert reverse("wagtail_gan_api:operations", urlconf=urlconf) == "/api/gan/operations/"
    assert reverse("wagtail_gan:rendition_status", urlconf=urlconf) == "/gan/renditions/status/"


# -- templates -----------------------------------------------------------------------------

def render_snippet(name: str, **context) -> str:
    return Template((SNIPPETS / "templates" / name).read_text()).render(Context(context))


@pytest.fixture
def hero(make_image, dummy_models):
    if not Collection.objects.exists():  # transactional tests flush the migrations' data
        Collection.add_root(name="Root")
    HUEY.flush()
    yield make_image(title="Harbour", width=160, height=120)
    HUEY.flush()


def specs_of(image) -> set[str]:
    return set(RenditionJob.objects.filter(image=image).values_list("filter_spec", flat=True))


@pytest.mark.django_db(transaction=True)
def test_filter_snippets_render_fallbacks_and_queue_their_jobs(hero):
    page = types.SimpleNamespace(hero=hero)
    html = render_snippet("filters.html", page=page)
    assert html.count("<img") == 4 and "<picture>" in html and "srcset=" in html
    assert "pending" in html and "ML version live" not in html
    assert "renditions/status/" in html  # the swap script
    specs = specs_of(hero)
    assert {"width-800|upscale-2x", "width-600|stylize-3"} <= specs
    assert any("winterize-70" in s for s in specs) and any("stylize-3-12" in s for s in specs)

    html = render_snippet("edits.html", page=page)
    assert html.count("<img") == 4
    assert {"width-800|removebg|format-png", "width-800|removebg-fff",
            "fill-800x600|expand-16x9", "width-800|restore-70"} <= specs_of(hero)

    html = render_snippet("background.html", page=page)
    assert "background-position:" in html and "url('/media/" in html


@pytest.mark.django_db(transaction=True)
def test_pool_snippet_gives_a_visitor_one_slot(hero):
    request = RequestFactory().get("/", HTTP_USER_AGENT="docs")
    html = render_snippet("pools.html", page=types.SimpleNamespace(hero=hero), request=request)
    assert 'alt="Harbour"' in html and 'class="hero"' in html
    assert any("poolslot-" in spec for spec in specs_of(hero))


@pytest.mark.django_db(transaction=True)
def test_home_page_snippet_swaps_the_ml_rendition_in(hero):
    page = types.SimpleNamespace(hero=hero)
    before = render_snippet("home_page.html", page=page)
    assert "stylize-3: pending" in before
    job = RenditionJob.objects.get(image=hero, filter_spec="width-800|stylize-3")
    assert worker.run_rendition_job(job.pk).status == RenditionJob.Status.DONE
    after = render_snippet("home_page.html", page=page)
    assert "stylize-3: ready" in after
    src = re.compile(r'<img[^>]* src="([^"]+)"')
    assert src.search(before).group(1) != src.search(after).group(1)


# -- Python ------------------------------------------------------------------------------

def test_engine_snippet_runs_a_spec_on_a_file(tmp_path, monkeypatch, dummy_models, make_image_file):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jpg").write_bytes(make_image_file(fmt="JPEG").file.getvalue())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile((SNIPPETS / "engine.py").read_text(), "engine.py", "exec"), {})
    model_id, sha256 = out.getvalue().split()
    assert model_id in dummy_models and len(sha256) == 64
    assert Image.open(tmp_path / "out.jpg").size == (64, 48)


# -- the API session -----------------------------------------------------------------------

def curl_calls(script: str) -> list[dict]:
    """Each ``curl`` of a shell snippet: method, path, JSON body, the comment's response."""
    calls, lines = [], script.replace("\\\n", " ").splitlines()
    for number, line in enumerate(lines):
        if not line.lstrip().startswith("curl "):
            continue
        words = shlex.split(line, comments=True)
        url = next(w for w in words if w.startswith("http"))
        body = words[words.index("-d") + 1] if "-d" in words else None
        method = words[words.index("-X") + 1] if "-X" in words else ("POST" if body else "GET")
        following = lines[number + 1] if number + 1 < len(lines) else ""
        answer = re.match(r"\s*# (\d{3}) (\{.*\})", following)
        calls.append({"method": method, "path": re.sub(r"^https?://[^/]+", "", url),
                      "body": json.loads(body) if body else None,
                      "answer": (answer.group(1), answer.group(2)) if answer else None})
    return calls


def schema_operation(schema: dict, method: str, url_path: str) -> dict | None:
    for template, operations in schema["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, url_path) and method.lower() in operations:
            return operations[method.lower()]
    return None


def component(schema: dict, node: dict) -> dict:
    return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]


def test_api_session_calls_are_in_the_schema(client):
    schema = json.loads(client.get("/api/gan/schema/?format=json").content)
    calls = curl_calls((SNIPPETS / "api.sh").read_text())
    assert {c["method"] for c in calls} == {"GET", "POST", "DELETE"} and len(calls) == 7
    for call in calls:
        op = schema_operation(schema, call["method"], call["path"])
        assert op is not None, f"{call['method']} {call['path']} is not in the API"
        if call["body"] is not None:
            body = component(schema, op["requestBody"]["content"]["application/json"]["schema"])
            assert set(call["body"]) <= set(body["properties"]), call
            assert set(body.get("required", ())) <= set(call["body"]), call
        if call["answer"]:
            status, shown = call["answer"]
            response = op["responses"][status]["content"]["application/json"]["schema"]
            shown_keys = set(re.findall(r'"(\w+)":', shown))
            assert shown_keys <= set(component(schema, response)["properties"])
