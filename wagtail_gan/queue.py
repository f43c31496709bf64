"""The queue: Huey configuration, and how the rest of wagtail-gan asks for work.

``request(kind, *args)`` is the one way feature code (renditions, jobs, pools) asks for a
task: it sends the ``work_requested`` signal (after the current transaction commits, by
default). ``wagtail_gan.tasks`` receives it and enqueues the Huey task with the kind's
priority. So ``tasks`` imports the feature packages and nothing they contain imports it back.

Kinds: ``rendition`` (a RenditionJob id), ``generation`` (a GenerationJob id),
``pregenerate`` (image id, list of specs), ``purge`` (a RenditionJob id, cache purge),
``video`` (a VideoJob id: wagtail_gan.video).
``install`` (a ModelTask id: install / verify / remove a model, from the Models page).

Huey configuration helpers:

``huey_settings()`` builds the ``HUEY`` dict for ``huey.contrib.djhuey``:

* the embedded default is ``SqliteHuey`` (one file, no server), consumed by ``manage.py run_huey``;
  SQLite cannot block on a read, so an idle consumer polls, backing off to at most
  ``SQLITE_MAX_POLL`` seconds (the worst-case queue latency of an idle worker);
* with a Redis URL (argument or ``WAGTAIL_GAN_REDIS_URL``) it is ``PriorityRedisHuey`` so many
  GPU workers on many machines share one queue. Its workers block on the queue (``BZPOPMIN``,
  ``blocking=True``): a task starts within milliseconds of being enqueued, idle or not
  (``benchmarks/bench_queue.py``).

``immediate`` is always explicit: djhuey would otherwise follow ``DEBUG`` and run models inside
web requests.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# kwargs: kind, args (tuple), delay (seconds or None), task_id (str or None)
work_requested = Signal()
KINDS = ("rendition", "generation", "pregenerate", "purge", "video", "install")


def request(kind: str, *args, delay: float | None = None, task_id: str | None = None,
            on_commit: bool = True) -> None:
    """Ask for ``kind`` work on the worker. With ``on_commit`` (the default) the request is
    sent once the current transaction commits (robust: a queue that is down is logged, and
    the sweeper picks the job up later); without it, now, and errors propagate."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of work {kind!r}")

    def send() -> None:
        work_requested.send(sender=request, kind=kind, args=args, delay=delay, task_id=task_id)

    if on_commit:
        transaction.on_commit(send, robust=True)
    else:
        send()


def new_task_id() -> str:
    """A task id chosen before enqueueing, so a job row can store it in the same INSERT."""
    return str(uuid.uuid4())


SQLITE_MAX_POLL = 0.5  # seconds; polling a local SQLite file this often costs next to nothing
REDIS_READ_TIMEOUT = 1  # seconds a blocking read waits before the worker checks for shutdown


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
        "max_delay": 2.0,  # a polling queue's longest sleep; a blocking one's error back-off
    }
    if redis_url:
        return {
            "huey_class": "huey.PriorityRedisHuey",
            "name": name,
            "url": redis_url,
            "immediate": immediate,
            "blocking": True,
            "read_timeout": REDIS_READ_TIMEOUT,
            "consumer": consumer,
        }
    consumer["max_delay"] = SQLITE_MAX_POLL
    data_dir = Path(data_dir or Path.cwd())
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "huey_class": "huey.SqliteHuey",
        "name": name,
        "filename": str(data_dir / "huey.sqlite3"),
        "immediate": immediate,
        "consumer": consumer,
    }


def revoke(task_id: str) -> None:
    """Tell the queue not to run a task (a cancelled job; the worker also skips it)."""
    from huey.contrib.djhuey import HUEY  # noqa: PLC0415 - it reads settings.HUEY, which settings build with this module

    HUEY.revoke_by_id(task_id)
