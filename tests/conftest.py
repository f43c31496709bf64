"""Shared fixtures: backend reachability, sample images, a real ``run_huey`` consumer."""

from __future__ import annotations

import importlib.util
import io
import os
import socket

import pytest
from django.conf import settings as django_settings
from django.core.files.images import ImageFile
from huey.contrib.djhuey import HUEY
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.utils import HueyConsumer, ensure_wagtail_roots
from wagtail_gan import operations
from wagtail_gan.management.commands.gan_c2pa_devcert import create_dev_identity

# Hugging Face snapshot installs (and the pins that choose their revision) are tested with
# huggingface_hub's own download machinery: a worker-extra package the web-tier matrix
# venvs (noxfile.py) do not have.
collect_ignore = [] if importlib.util.find_spec("huggingface_hub") else [
    "models_zoo/test_install_progress.py", "views/test_model_pins.py"]

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest_plugins = ["tests.models_zoo.fixtures", "tests.gan_admin_fixtures"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pytest_configure(config):
    needed = []
    if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        needed.append(("PostgreSQL", "127.0.0.1", 5432))
    if os.environ.get("GAN_TEST_QUEUE") == "redis":
        needed.append(("Redis", "127.0.0.1", 6379))
    missing = [name for name, host, port in needed if not reachable(host, port)]
    config._gan_missing_services = missing
    if missing and IN_CI:
        pytest.exit(f"CI=true and unreachable services: {', '.join(missing)}", returncode=3)


def pytest_collection_modifyitems(config, items):
    missing = getattr(config, "_gan_missing_services", [])
    if missing:
        skip = pytest.mark.skip(reason=f"unreachable: {', '.join(missing)}")
        for item in items:
            item.add_marker(skip)


@pytest.fixture
def make_image_file():
    """Build an in-memory image file (Pillow) for Wagtail's Image model."""
    def _make(width=64, height=48, fmt="PNG", name=None, mode="RGB"):
        # A two-axis gradient, so resizes and models have structure to work with.
        horizontal = PILImage.linear_gradient("L").rotate(90).resize((width, height))
        vertical = PILImage.linear_gradient("L").resize((width, height))
        img = PILImage.merge("RGB", (horizontal, vertical, PILImage.new("L", (width, height), 90)))
        if mode != "RGB":
            img = img.convert(mode)
        buf = io.BytesIO()
        img.save(buf, fmt)
        ext = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[fmt]
        return ImageFile(buf, name=name or f"test.{ext}")

    return _make


@pytest.fixture
def make_image(make_image_file, db):
    Image = get_image_model()

    def _make(title="Test image", collection=None, **kwargs):
        image = Image(title=title, file=make_image_file(**kwargs))
        if collection is not None:
            image.collection = collection
        image.save()
        return image

    return _make


# Registry entries that put the deterministic dummy backend (models_zoo/backends/dummy.py)
# behind every operation: tests of the rendition and job machinery use it instead of
# monkeypatching the engine. Each operation declares its own (``Operation.dummy_models``); the
# fixture asks again, so an operation added at run time has one too. The models_zoo tests use
# real or tiny exact-layout models.
DUMMY_MODELS = operations.dummy_models()


def gan_models_override(settings, models: dict) -> None:
    current = dict(getattr(settings, "WAGTAIL_GAN", {}) or {})
    settings.WAGTAIL_GAN = {**current, "MODELS": {**(current.get("MODELS") or {}), **models}}


@pytest.fixture
def dummy_models(settings):
    """Every operation runs the dummy backend (the operations' ``dummy_models``)."""
    models = operations.dummy_models()
    gan_models_override(settings, models)
    return models


@pytest.fixture
def slow_model(settings, dummy_models):
    """``slow_model(key, delay=..., fail=..., crash=...)``: the model behind ``key`` (e.g.
    "stylize") sleeps ``delay`` seconds while reporting progress, then fails with an
    EngineError ``fail`` or an unexpected RuntimeError ``crash`` if given."""

    def configure(key: str, delay: float = 0.0, fail: str | None = None,
                  crash: str | None = None) -> None:
        name = next(n for n, e in dummy_models.items() if key in e["default_for"])
        defaults = {"delay": delay, **({"fail": fail} if fail else {}),
                    **({"crash": crash} if crash else {})}
        gan_models_override(settings, {name: {**dummy_models[name], "defaults": defaults}})

    return configure


@pytest.fixture(scope="module")
def devcert(tmp_path_factory):
    """A development C2PA CA and signing identity (``gan_c2pa_devcert``): paths by file name."""
    return create_dev_identity(tmp_path_factory.mktemp("c2pa"))


@pytest.fixture
def big_source(gan_world, make_image):
    """A JPEG source large enough to carry a watermark, in the editors' collection."""
    return make_image(title="Quay at noon", collection=gan_world.team, width=256, height=192,
                      fmt="JPEG")


@pytest.fixture
def huey_consumer(transactional_db, tmp_path):
    """Start a real ``run_huey`` consumer subprocess on this run's queue; yield it; stop it."""
    consumer = HueyConsumer(log_path=tmp_path / "consumer.log")
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop()


def pytest_sessionfinish(session, exitstatus):
    """Drop this run's queue (a Redis queue outlives the process)."""
    if os.environ.get("GAN_TEST_QUEUE") == "redis" and not getattr(
        session.config, "_gan_missing_services", []
    ):
        try:
            HUEY.flush()
        except Exception:  # pragma: no cover - cleanup only
            pass


@pytest.fixture(autouse=True)
def _wagtail_roots(request):
    """Every database test starts with Wagtail's root collection, root page and site."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if not ({"db", "transactional_db", "live_server"} & names or marker):
        return
    transactional = bool(
        {"transactional_db", "live_server"} & names or (marker and marker.kwargs.get("transaction"))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_wagtail_roots()
