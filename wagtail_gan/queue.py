"""Huey configuration helpers.

``huey_settings()`` builds the ``HUEY`` dict for ``huey.contrib.djhuey``:

* the embedded default is ``SqliteHuey`` (one file, no server), consumed by ``manage.py run_huey``;
* with a Redis URL (argument or ``WAGTAIL_GAN_REDIS_URL``) it is ``PriorityRedisHuey`` so many
  GPU workers on many machines share one queue.

``immediate`` is always explicit: djhuey would otherwise follow ``DEBUG`` and run models inside
web requests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def huey_settings(
    data_dir: str | os.PathLike | None = None,
    *,
    redis_url: str | None = None,
    name: str = "wagtail-gan",
    immediate: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    redis_url = redis_url if redis_url is not None else os.environ.get("WAGTAIL_GAN_REDIS_URL")
    consumer = {
        "workers": workers,
        # One model per worker thread; a thread worker shares the model cache.
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
        "health_check_interval": 5,
        "backoff": 1.15,
        "max_delay": 2.0,
    }
    if redis_url:
        return {
            "huey_class": "huey.PriorityRedisHuey",
            "name": name,
            "url": redis_url,
            "immediate": immediate,
            "consumer": consumer,
        }
    data_dir = Path(data_dir or Path.cwd())
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "huey_class": "huey.SqliteHuey",
        "name": name,
        "filename": str(data_dir / "huey.sqlite3"),
        "immediate": immediate,
        "consumer": consumer,
    }
