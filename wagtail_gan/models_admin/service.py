"""Installing, verifying and removing registry models from the web tier: the one place that
validates a request and queues the work on the worker (``work.submit.create``: the task is
requested with ``queue.request("install", ...)`` once the transaction commits), used by the
admin's Models page and the API (web tier: reads ``models_zoo.registry`` only)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ModelTask
from ..models_zoo import registry
from ..work import submit as work_submit
from . import pins

__all__ = ["ActionRefused", "pin_model", "queue_action", "task_state", "unpin_model"]
# A waiting or running task without a sign of life for this long (no worker took it, its
# worker died and no sweeper ran): a new one may start. The sweeper (``work.sweep``) normally
# re-queues or fails such a task long before.
STALE_AFTER = timedelta(minutes=15)


class ActionRefused(Exception):
    """A request the page or the API answers with ``status`` and this message."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def task_state(task: ModelTask | None) -> dict | None:
    if task is None:
        return None
    return {
        "id": task.pk, "model_id": task.model_id, "action": task.action,
        "action_label": task.get_action_display(), "status": task.status,
        "status_label": task.get_status_display(), "active": task.is_active,
        "done_bytes": task.done_bytes, "total_bytes": task.total_bytes,
        "percent": task.percent, "progress_unit": task.progress_unit,
        "eta_seconds": task.eta_seconds(), "message": task.message,
        "error_kind": task.error_kind, "revision": task.revision,
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
    }


def queue_action(user, model_id: str, action: str, revision: str = "") -> ModelTask:
    """Queue an install / verify / remove of ``model_id`` on the worker. Raises
    ``ActionRefused`` (404 unknown model or action, 400 bad revision, 409 busy)."""
    if action not in ModelTask.Action.values:
        raise ActionRefused(_("No such action."), 404)
    entry = _entry(model_id)
    revision = (revision or "").strip().lower()
    if revision and action != ModelTask.Action.INSTALL:
        raise ActionRefused(_("Only an install takes a revision."), field="revision")
    if revision:
        try:
            revision = pins.clean_revision(entry, revision)
        except pins.PinRefused as exc:
            raise ActionRefused(str(exc), field="revision") from None
    if not entry.needs_weights:
        raise ActionRefused(_("“%(id)s” needs no weight files: there is nothing to "
                              "install, verify or remove.") % {"id": model_id})
    moved = timezone.now() - STALE_AFTER
    busy = ModelTask.objects.filter(model_id=model_id, status__in=ModelTask.ACTIVE_STATUSES).filter(
        Q(heartbeat_at__gte=moved) | Q(heartbeat_at=None, created_at__gte=moved))
    if busy.exists():
        raise ActionRefused(_("“%(id)s” already has a task waiting or running.")
                            % {"id": model_id}, 409)
    if revision:  # kept for later installs, verifications and the worker's loads
        pins.set_pin(entry, revision, user)
    revision = registry.pinned(entry, revision).hf_source.revision if entry.hf_source else ""
    return work_submit.create(ModelTask, model_id=model_id, action=action, revision=revision,
                              user=user)


def _entry(model_id: str):
    try:
        return registry.get(model_id)
    except (registry.UnknownModel, registry.InvalidModelId):
        raise ActionRefused(_("No such model."), 404) from None


def pin_model(user, model_id: str, revision: str) -> dict:
    """Keep ``revision`` as the pin of ``model_id`` (an unpinned Hugging Face entry); its
    pin state. ``ActionRefused`` (404 unknown model, 400 on field ``revision``)."""
    entry = _entry(model_id)
    try:
        pins.set_pin(entry, revision, user)
    except pins.PinRefused as exc:
        raise ActionRefused(str(exc), field="revision") from None
    return pins.pin_state(entry)


def unpin_model(user, model_id: str) -> bool:
    """Forget the pin of ``model_id``; False when there was none (404 for an unknown id)."""
    _entry(model_id)
    return pins.remove_pin(model_id)
