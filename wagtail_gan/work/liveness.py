"""Liveness of worker processes, so a dead worker is noticed in about a minute.

Each ``run_huey`` process starts one liveness thread (``start``, from the consumer's startup
hook in ``wagtail_gan.tasks``). It upserts the process's ``WorkerProcess`` row every
``WORKER_HEARTBEAT_SECONDS`` and refreshes the heartbeat of the jobs this process is running
(``running``), so a slow model run that reports no progress is never mistaken for a lost one.
A job records the worker that claimed it (``worker_id``); the sweepers treat a running job
whose worker was not seen for ``WORKER_DEAD_AFTER`` as lost at once (``dead_claims``).

A thread, not a periodic task: a worker thread busy with a model would delay the task. Outside
a consumer (``call_local``, ``gan_pregenerate --sync``, tests) ``worker_id()`` is "" and jobs
fall back to the heartbeat timeouts. Clocks of the worker hosts must agree to well within
``WORKER_DEAD_AFTER`` (NTP).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import WorkerProcess

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_state: dict = {"id": "", "thread": None, "stop": None}
# (model, heartbeat field) -> ids of the jobs this process runs now
_in_flight: dict[tuple, set[int]] = {}


def worker_id() -> str:
    """This process's ``WorkerProcess`` id, or "" when it has no liveness thread."""
    thread = _state["thread"]
    return _state["id"] if thread is not None and thread.is_alive() else ""


def cutoff(now=None):
    """Workers last seen before this are dead."""
    return (now or timezone.now()) - timedelta(seconds=float(gan_settings.WORKER_DEAD_AFTER))


def alive_ids(now=None):
    """A queryset of the ids of the workers alive at ``now`` (usable in ``__in``)."""
    return WorkerProcess.objects.filter(last_seen__gte=cutoff(now)).values("pk")


def is_dead(wid: str, now=None) -> bool:
    """True when ``wid`` names a worker not seen for ``WORKER_DEAD_AFTER`` (or never)."""
    return bool(wid) and not WorkerProcess.objects.filter(
        pk=wid, last_seen__gte=cutoff(now)).exists()


def dead_claims(queryset, now=None):
    """The jobs of ``queryset`` claimed by a worker that is dead now."""
    return queryset.exclude(worker_id="").exclude(worker_id__in=alive_ids(now))


@contextmanager
def running(model, job_id: int, heartbeat_field: str):
    """While the block runs, the liveness thread refreshes ``heartbeat_field`` of the job."""
    key = (model, heartbeat_field)
    with _lock:
        _in_flight.setdefault(key, set()).add(job_id)
    try:
        yield
    finally:
        with _lock:
            _in_flight.get(key, set()).discard(job_id)


def beat(wid: str, now=None) -> None:
    """One sign of life: the process's row, and the heartbeat of the jobs it runs."""
    now = now or timezone.now()
    WorkerProcess.objects.update_or_create(
        pk=wid, defaults={"last_seen": now},
        create_defaults={"last_seen": now, "started_at": now, "pid": os.getpid(),
                         "hostname": socket.gethostname()[:255]},
    )
    with _lock:
        in_flight = [(key, list(ids)) for key, ids in _in_flight.items() if ids]
    for (model, field), ids in in_flight:
        model.objects.filter(pk__in=ids, status="running", worker_id=wid).update(**{field: now})


def prune(now=None, keep_days: int = 7) -> int:
    """Forget workers gone for ``keep_days`` (their jobs were recovered long ago)."""
    old = (now or timezone.now()) - timedelta(days=keep_days)
    return WorkerProcess.objects.filter(last_seen__lt=old).delete()[0]


def _loop(wid: str, stop: threading.Event, on_beat: Callable | None) -> None:
    interval = max(0.05, float(gan_settings.WORKER_HEARTBEAT_SECONDS))
    while not stop.wait(interval):
        try:
            close_old_connections()
            beat(wid)
            if on_beat is not None:
                on_beat()
        except Exception:  # a flaky database must not kill the thread
            logger.warning("wagtail-gan: worker heartbeat failed", exc_info=True)
    close_old_connections()


def start(on_beat: Callable | None = None) -> str:
    """Start this process's liveness thread (idempotent: every worker thread's startup hook
    calls it). The first beat is written before returning, so claims are covered at once.
    ``on_beat`` runs after each beat (the consumer sweeps for dead peers there)."""
    with _lock:
        thread = _state["thread"]
        if thread is not None and thread.is_alive():
            return _state["id"]
    wid = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
    beat(wid)
    with _lock:
        if _state["thread"] is not None and _state["thread"].is_alive():
            WorkerProcess.objects.filter(pk=wid).delete()  # another thread won the start
            return _state["id"]
        stop = threading.Event()
        thread = threading.Thread(target=_loop, args=(wid, stop, on_beat), daemon=True,
                                  name="wagtail-gan-liveness")
        _state.update(id=wid, thread=thread, stop=stop)
        thread.start()
    logger.info("wagtail-gan: worker %s started its liveness thread", wid)
    return wid


def stop() -> None:
    """Stop the liveness thread (tests). The row ages out: it is never deleted here, because
    another worker thread of this process may still be finishing a job."""
    with _lock:
        stop_event, thread = _state["stop"], _state["thread"]
        _state.update(id="", thread=None, stop=None)
    if stop_event is not None:
        stop_event.set()
    if thread is not None:
        thread.join(5)
