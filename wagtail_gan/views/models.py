"""The admin's Models page: every registry model with its task, state, size, licence, source
and speed class; install / verify / remove buttons that queue the work on the worker
(``queue.request("install", ...)``: downloads run where the models run), a live progress bar
(bytes, or the steps of a conversion) with an ETA, and the exact error when it fails; the
Hugging Face revision pinned here (kept until removed). Superusers and holders of
``wagtail_gan.manage_models``.

Web tier: reads ``models_zoo.registry`` only; ``models_admin.worker`` does the work.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..models import ModelTask
from ..models_admin import pins
from ..models_admin.access import can_manage_models
from ..models_admin.service import ActionRefused, queue_action, task_state, unpin_model
from ..models_zoo import registry
from .editor import _wants_json, forbidden_as_403

TASK_ORDER = {task: i for i, task in enumerate(registry.TASKS)}


def manage_models_required(view):
    @forbidden_as_403
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage_models(request.user):
            raise PermissionDenied(_("Only administrators may install, verify or remove models."))
        return view(request, *args, **kwargs)

    return wrapped


def _latest_tasks() -> dict[str, ModelTask]:
    latest: dict[str, ModelTask] = {}
    for task in ModelTask.objects.order_by("-created_at", "-pk")[:500]:
        latest.setdefault(task.model_id, task)
    return latest


def model_rows() -> list[dict]:
    """One dict per registry entry, in task order, for the page and its JSON status."""
    latest = _latest_tasks()
    rows = []
    for raw in registry.entries().values():
        pin = pins.pin_state(raw)
        entry = registry.pinned(raw, pin["revision"] if pin["pinned_by"] == "page" else "")
        manifest = registry.read_manifest(entry.id) or {}
        task = latest.get(entry.id)
        rows.append({
            "id": entry.id,
            "task": entry.task,
            "family": entry.family,
            "description": entry.description,
            "default_for": list(entry.default_for),
            "origin": entry.origin,
            "installed": registry.is_installed(entry),
            "needs_weights": entry.needs_weights,
            "size": entry.size,
            "licence": entry.licence,
            "sources": [s.describe() for s in entry.sources],
            "offline": entry.installable_offline,
            # a speed class, where the registry entry has one ("fast", "slow", "gpu" ...)
            "speed": str(getattr(entry, "speed", "") or entry.defaults.get("speed_class", "")),
            "removable": entry.needs_weights and registry.model_dir(entry.id).is_dir(),
            "unpinned": entry.unpinned,
            "hf_repo": entry.hf_source.repo if entry.hf_source else "",
            "pin": pin,
            "installed_revision": manifest.get("revision", "") if manifest.get("kind") == "hf"
            else "",
            "installed_at": manifest.get("installed_at", ""),
            "sha256": manifest.get("sha256", ""),
            "tofu": bool(manifest.get("tofu")),
            "state": task_state(task),
        })
    rows.sort(key=lambda r: (TASK_ORDER.get(r["task"], 99), r["id"]))
    return rows


@manage_models_required
@require_GET
def models_index(request):
    rows = model_rows()
    return TemplateResponse(request, "wagtail_gan/admin/models.html", {
        "page_title": _("AI models"),
        "rows": rows,
        "active": any(r["state"] and r["state"]["active"] for r in rows),
        "status_url": reverse("wagtail_gan_admin:models_status"),
        "config_errors": registry.config_errors(),
    })


@manage_models_required
@require_GET
def models_status(request):
    rows = model_rows()
    return JsonResponse({
        "active": any(r["state"] and r["state"]["active"] for r in rows),
        "models": {r["id"]: {"installed": r["installed"], "state": r["state"]} for r in rows},
    })


def _refuse(request, message: str, status: int = 400):
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect("wagtail_gan_admin:models")


@manage_models_required
@require_POST
def model_action(request, model_id, action):
    """Queue an install / verify / remove of ``model_id`` on the worker."""
    try:
        task = queue_action(request.user, model_id, action, request.POST.get("revision") or "")
    except ActionRefused as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        return _refuse(request, exc.message, status=exc.status)
    if _wants_json(request):
        return JsonResponse(task_state(task), status=202)
    messages.success(request, _("%(action)s of “%(id)s” queued: the worker does it.")
                     % {"action": task.get_action_display(), "id": model_id})
    return redirect(reverse("wagtail_gan_admin:models") + f"#model-{model_id}")


@manage_models_required
@require_POST
def model_unpin(request, model_id):
    """Forget the Hugging Face revision pinned on this page for ``model_id``."""
    try:
        removed = unpin_model(request.user, model_id)
    except ActionRefused as exc:
        raise Http404(exc.message) from None
    if _wants_json(request):
        return JsonResponse({"removed": removed})
    if removed:
        messages.success(request, _("The pin of “%(id)s” was removed: later installs need a "
                                    "revision again.") % {"id": model_id})
    return redirect(reverse("wagtail_gan_admin:models") + f"#model-{model_id}")
