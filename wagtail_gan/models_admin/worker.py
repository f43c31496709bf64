"""The worker side of the Models page: what ``work.runner`` runs for a ``ModelTask`` (install,
verify or remove a registry model with ``models_zoo.install``), reporting the download's
progress on the row. Claim, liveness (a task whose worker died is re-queued once by
``work.sweep``, then failed) and failures are the runner's.

Called by ``tasks.run_model_task`` only (it imports ``models_zoo.install``: worker tier).
"""

from __future__ import annotations

import time

from django.utils import timezone

from wagtail_gan.exceptions import PermanentFailure
from wagtail_gan.models import ModelTask
from wagtail_gan.models_zoo import registry
from wagtail_gan.models_zoo.errors import HashMismatch
from wagtail_gan.models_zoo.install import install, remove, verify
from wagtail_gan.work import runner

# The page polls about once a second: a row update per 0.25 s of download is plenty.
PROGRESS_INTERVAL = 0.25
NETWORK_WORDS = ("urlopen error", "timed out", "name or service not known", "connection",
                 "network is unreachable", "temporary failure in name resolution", "http ")


def error_kind(exc: BaseException) -> str:
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


class ProgressWriter:
    """``on_progress(done, total, unit)`` for ``install`` (bytes of a download, or steps of a
    conversion): writes the row (and its heartbeat) at most every ``PROGRESS_INTERVAL``
    seconds (and always the last call and a change of unit), while it runs."""

    def __init__(self, task_id: int):
        self.task_id = task_id
        self.last = 0.0
        self.unit = ""

    def __call__(self, done: int, total: int | None, unit: str = "bytes") -> None:
        now = time.monotonic()
        if (now - self.last < PROGRESS_INTERVAL and unit == self.unit
                and not (total and done >= total)):
            return
        self.last, self.unit = now, unit
        moment = timezone.now()
        ModelTask.objects.filter(pk=self.task_id, status=ModelTask.Status.RUNNING).update(
            done_bytes=done, total_bytes=total, progress_unit=unit, updated_at=moment,
            heartbeat_at=moment)


class ModelTaskKind(runner.JobKind):
    """What differs for a model task: install, verify or remove with ``models_zoo.install``;
    the message says what happened, ``error_kind`` what the page offers after a failure."""

    model = ModelTask
    expected = (registry.UnknownModel, registry.InvalidModelId)

    def claim_fields(self) -> dict:
        return {"updated_at": timezone.now()}

    def run(self, run: runner.Run) -> str:
        task = run.job
        # The revision the task was asked with, else the one pinned now (settings win).
        entry = registry.pinned(registry.get(task.model_id), task.revision)
        if task.action == ModelTask.Action.INSTALL:
            if entry.size:
                ModelTask.objects.filter(pk=task.pk).update(total_bytes=entry.size)
            info = install(entry, on_progress=ProgressWriter(task.pk))
            if info.get("already"):
                return "Already installed: its files ship with an installed package or path."
            message = f"Installed from {info.get('source') or info.get('kind')}"
            if info.get("sha256"):
                message += f"; sha256 {info['sha256'][:16]}…"
                if info.get("tofu"):
                    message += (" recorded on first use (no published hash): later "
                                "installs and verifications must match it")
            return message + "."
        if task.action == ModelTask.Action.VERIFY:
            ok, message = verify(entry)
            if not ok:
                raise HashMismatch(message)
            return message
        if task.action == ModelTask.Action.REMOVE:
            return "Removed." if remove(entry) else "Nothing was installed in the models folder."
        raise PermanentFailure(f"Unknown action {task.action!r}")

    def finish(self, run: runner.Run, message: str) -> dict:
        return {"message": message[:4000], "error_kind": "", "updated_at": timezone.now()}

    def failed_fields(self, run: runner.Run, exc: BaseException) -> dict:
        return {"error_kind": error_kind(exc), "updated_at": timezone.now()}


KIND = ModelTaskKind()


def run_model_task(task_id: int) -> str:
    """Run a queued ModelTask; returns its final status ("skipped" if it was not queued)."""
    return str(runner.run_job(KIND, task_id))
