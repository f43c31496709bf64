"""Helpers shared by the tests: subprocesses (consumer, web server), waiting, Wagtail's root
rows, and ``WAGTAIL_GAN`` overrides."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import override_settings
from PIL import Image
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

ROOT = Path(__file__).resolve().parent.parent


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child that must see this test's database and queue."""
    env = dict(os.environ)
    # the settings of this run (tests.settings, or tests.settings_custom_image ...)
    env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE or "tests.settings"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "sandbox"), env.get("PYTHONPATH", "")])
    env["GAN_TEST_DB_NAME"] = str(connection.settings_dict["NAME"])
    env["PYTHONUNBUFFERED"] = "1"
    # The child sees the registry entries this test configured (e.g. the dummy backend).
    models = (getattr(settings, "WAGTAIL_GAN", {}) or {}).get("MODELS")
    if models:
        env["GAN_TEST_EXTRA_MODELS"] = json.dumps(models)
    env.update(extra)
    return env


class HueyConsumer:
    def __init__(self, log_path: Path, workers: int = 1, extra_env: dict | None = None):
        self.log_path = Path(log_path)
        self.workers = workers
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None

    def start(self, wait: float = 60.0) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "django", "run_huey", "--workers", str(self.workers),
             "--worker-type", "thread", "--flush-locks"],
            cwd=ROOT,
            env=subprocess_env(**self.extra_env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"consumer exited early:\n{self.log()}")
            if "consumer started" in self.log().lower() or "the following commands are available" in self.log().lower():
                return
            time.sleep(0.1)
        raise RuntimeError(f"consumer did not start within {wait}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()


class SlowFile(BaseHTTPRequestHandler):
    """Serves ``PAYLOAD`` in ``PIECES`` pieces, ``PAUSE`` seconds apart (ignoring Range), so a
    download takes a while: a progress bar has time to move, a worker time to be killed."""

    PAYLOAD = bytes(range(256)) * (3 * 4096)  # 3 MiB
    PIECES = 12
    PAUSE = 0.35

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.PAYLOAD)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        step = len(self.PAYLOAD) // self.PIECES
        for i in range(self.PIECES):
            self.wfile.write(self.PAYLOAD[i * step:(i + 1) * step])
            self.wfile.flush()
            time.sleep(self.PAUSE)

    def log_message(self, *args):
        pass


@contextmanager
def serve(handler):
    """A local HTTP server with ``handler`` in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout}s")


def ensure_wagtail_roots():
    """Recreate the rows Wagtail's migrations make (default locale, root page, root collection,
    default site) when an earlier transactional test flushed them. Returns the root collection."""
    if not Locale.objects.exists():
        Locale.objects.create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    if not Site.objects.exists():
        Site.objects.create(hostname="localhost", port=80, root_page=root, is_default_site=True)
    return Collection.get_first_root_node() or Collection.add_root(name="Root")


def gan_override(**values):
    """``override_settings`` of ``WAGTAIL_GAN`` that changes ``values`` and keeps the rest (the
    test run's models, e.g. the dummy backend)."""
    return override_settings(WAGTAIL_GAN={**(getattr(settings, "WAGTAIL_GAN", None) or {}),
                                          **values})


def image_model_label() -> tuple[str, str]:
    """(app label, model name) of the site's image model: URLs such as Wagtail's bulk actions
    name it (``wagtailimages/image``, or ``custom_image/customimage`` on a custom model)."""
    meta = get_image_model()._meta
    return meta.app_label, meta.model_name


def png_b64(width: int, height: int) -> str:
    """A PNG of ``width`` x ``height``: real pixels when small, else only its header (IHDR),
    an empty image stream and IEND (what the size checks read; no 400 MB in the test)."""
    if width * height <= 4_000_000:
        buf = io.BytesIO()
        Image.new("L", (width, height), 0).save(buf, "PNG")
        return base64.b64encode(buf.getvalue()).decode()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))
    return base64.b64encode(data).decode()
