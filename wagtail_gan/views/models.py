"""The admin's Models page: every registry model, grouped by task, in plain language
(``models_admin.listing``: what it does, the operations it runs, state, size, when it was
installed, licence, whether it installs offline; the technical details collapsed); install /
verify / remove buttons that queue the work on the worker (``queue.request("install", ...)``:
downloads run where the models run), a live progress bar (bytes, or the steps of a
conversion) with an ETA, a failure explained in words (the exact error collapsed); Remove
asks first, on a confirmation page that says which operations it switches off; the Hugging
Face revision pinned here (kept until removed). Superusers and holders of
``wagtail_gan.manage_models``.

Web tier: reads ``models_zoo.registry`` only; ``models_admin.worker`` does the work.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..models import ModelTask
from ..models_admin import listing
from ..models_admin.access import can_manage_models
from ..models_admin.service import ActionRefused, queue_action, task_state, unpin_model
from ..models_zoo import registry
from .editor import _wants_json, forbidden_as_403


def manage_models_required(view):
    @forbidden_as_403
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage_models(request.user):
            raise PermissionDenied(_("Only administrators may install, verify or remove models."))
        return view(request, *args, **kwargs)

    return wrapped


@manage_models_required
@require_GET
def models_index(request):
    groups = listing.model_groups()
    return TemplateResponse(request, "wagtail_gan/admin/models.html", {
        "page_title": _("AI models"),
        "groups": groups,
        "active": any(r["state"] and r["state"]["active"] for g in groups for r in g["rows"]),
        "status_url": reverse("wagtail_gan_admin:models_status"),
        "config_errors": registry.config_errors(),
    })


@manage_models_required
@require_GET
def models_status(request):
    latest = listing.latest_tasks()
    models = {}
    for entry in registry.entries().values():
        state = task_state(latest.get(entry.id))
        models[entry.id] = {"installed": registry.is_installed(registry.pinned(entry)),
                            "state": state}
    return JsonResponse({
        "active": any(m["state"] and m["state"]["active"] for m in models.values()),
        "models": models,
    })


def _refuse(request, message: str, status: int = 400):
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect("wagtail_gan_admin:models")


@manage_models_required
@require_http_methods(["GET", "POST"])
def model_action(request, model_id, action):
    """Queue an install / verify / remove of ``model_id`` on the worker (POST). A GET of the
    remove action is its confirmation page."""
    if request.method == "GET":
        if action != ModelTask.Action.REMOVE:
            return HttpResponseNotAllowed(["POST"])
        return remove_confirm(request, model_id)
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


def remove_confirm(request, model_id):
    """"Remove this model?": what it does, the space it frees and the operations its removal
    switches off for every editor; Remove posts to ``model_action``."""
    try:
        raw = registry.get(model_id)
    except (registry.UnknownModel, registry.InvalidModelId):
        raise Http404(_("No such model.")) from None
    row = listing.model_row(raw, listing.latest_tasks().get(model_id))
    if not row["removable"]:
        return _refuse(request, _("“%(id)s” has nothing in the models folder to remove.")
                       % {"id": model_id})
    return TemplateResponse(request, "wagtail_gan/admin/model_remove.html", {
        "page_title": _("Remove %(id)s") % {"id": model_id},
        "row": row,
        "switched_off": listing.switched_off_by_removal(row["entry"]),
        "models_url": reverse("wagtail_gan_admin:models") + f"#model-{model_id}",
    })


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
