"""The checks of ``make smoke`` (run by scripts/smoke.sh against a live web + worker)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

BASE = os.environ.get("SMOKE_BASE", "http://127.0.0.1:8765")
HERE = os.path.dirname(os.path.abspath(__file__))
MANAGE = [sys.executable, os.path.join(HERE, "..", "sandbox", "manage.py")]


def get(path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(BASE + path, timeout=30) as response:
        return response.status, response.read()


def wait_for_web(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = get("/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("web server did not answer")


def main() -> None:
    wait_for_web()
    status, body = get("/")
    assert status == 200 and b"<img" in body, "home page has no image"
    print("smoke: home page renders")
    status, body = get("/gallery/")
    assert status == 200 and body.count(b"<img") >= 4, "gallery does not render its images"
    print("smoke: gallery renders")
    subprocess.run(MANAGE + ["gan_worker_check", "--timeout", "120"], check=True)
    print("smoke: worker round trip OK")


if __name__ == "__main__":
    main()
