"""The worker side of the Models page: run one ``ModelTask`` (install, verify or remove a
registry model) with ``models_zoo.install``, reporting the download's progress on the row.

Called by ``tasks.run_model_task`` only (it imports ``models_zoo.install``: worker tier).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from django.utils import timezone

from wagtail_gan.models import ModelTask
from wagtail_gan.models_zoo import registry
from wagtail_gan.models_zoo.errors import EngineError, HashMismatch
from wagtail_gan.models_zoo.install import install, remove, verify

logger = logging.getLogger(__name__)

# The page polls about once a second: a row update per 0.25 s of download is plenty.
PROGRESS_INTERVAL = 0.25
NETWORK_WORDS = ("urlopen error", "timed out", "name or service not known", "connection",
                 "network is unreachable", "temporary failure in name resolution", "http ")


def error_kind(entry, exc: Exception) -> str:
    """What the page should offer after a failure: "hash" (a mismatch: nothing installed),
    "unpinned" (a Hugging Face entry without a 40-hex revision: a field to pin one),
    "network" (no route to the source) or ""."""
    message = str(exc).lower()
    if isinstance(exc, HashMismatch) or "sha256 mismatch" in message:
        return "hash"
    if "no pinned revision" in message or "revision must be a 40-hex" in message:
        return "unpinned"
    if any(word in message for word in NETWORK_WORDS):
        return "network"
    return ""


def with_revision(entry, revision: str):
    """``entry`` with its Hugging Face source pinned to ``revision`` (the page's pin field)."""
    if not revision:
        return entry
    sources = tuple(replace(s, revision=revision) if s.kind == "hf" else s for s in entry.sources)
    return replace(entry, sources=sources)


class ProgressWriter:
    """``on_progress(done, total)`` for ``install``: writes the row at most every
    ``PROGRESS_INTERVAL`` seconds (and always the last call)."""

    def __init__(self, task_id: int):
        self.task_id = task_id
        self.last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and not (total and done >= total):
            return
        self.last = now
        ModelTask.objects.filter(pk=self.task_id).update(
            done_bytes=done, total_bytes=total, updated_at=timezone.now())


def _claim(task_id: int) -> ModelTask | None:
    claimed = ModelTask.objects.filter(pk=task_id, status=ModelTask.Status.QUEUED).update(
        status=ModelTask.Status.RUNNING, updated_at=timezone.now())
    return ModelTask.objects.get(pk=task_id) if claimed else None


def _finish(task: ModelTask, status: str, message: str, kind: str = "") -> str:
    ModelTask.objects.filter(pk=task.pk).update(
        status=status, message=message[:4000], error_kind=kind, finished_at=timezone.now(),
        updated_at=timezone.now())
    return status


def run_model_task(task_id: int) -> str:
    """Run a queued ModelTask; returns its final status ("skipped" if it was not queued)."""
    task = _claim(task_id)
    if task is None:
        return "skipped"
    try:
        entry = registry.get(task.model_id)
    except (registry.UnknownModel, registry.InvalidModelId) as exc:
        return _finish(task, ModelTask.Status.FAILED, str(exc))
    try:
        if task.action == ModelTask.Action.INSTALL:
            size = entry.size
            if size:
                ModelTask.objects.filter(pk=task.pk).update(total_bytes=size)
            info = install(with_revision(entry, task.revision), on_progress=ProgressWriter(task.pk))
            if info.get("already"):
                message = "Already installed: its files ship with an installed package or path."
            else:
                message = f"Installed from {info.get('source') or info.get('kind')}"
                if info.get("sha256"):
                    message += f"; sha256 {info['sha256'][:16]}…"
                    if info.get("tofu"):
                        message += (" recorded on first use (no published hash): later "
                                    "installs and verifications must match it")
            return _finish(task, ModelTask.Status.SUCCEEDED, message + ".")
        if task.action == ModelTask.Action.VERIFY:
            ok, message = verify(entry)
            status = ModelTask.Status.SUCCEEDED if ok else ModelTask.Status.FAILED
            return _finish(task, status, message, "" if ok else "hash")
        if task.action == ModelTask.Action.REMOVE:
            removed = remove(entry)
            return _finish(task, ModelTask.Status.SUCCEEDED,
                           "Removed." if removed else "Nothing was installed in the models folder.")
        return _finish(task, ModelTask.Status.FAILED, f"Unknown action {task.action!r}")
    except EngineError as exc:
        return _finish(task, ModelTask.Status.FAILED, str(exc), error_kind(entry, exc))
    except Exception as exc:  # a bug or an unexpected I/O error: say what it was
        logger.exception("Model task %s (%s %s) failed", task.pk, task.action, task.model_id)
        return _finish(task, ModelTask.Status.FAILED, f"{type(exc).__name__}: {exc}",
                       error_kind(entry, exc))
