"""Admin views for editors: generate a variant, follow its progress, review, keep or discard;
generate new images from text. All state-changing views are POST-only (CSRF-protected by
Django's middleware); permissions are checked in ``wagtail_gan.jobs``."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import jobs, operations, permissions
from ..forms import (
    GenerateImageForm,
    InterpretForm,
    VariantForm,
    form_values_for_spec,
    unavailable_message,
)
from ..instructions import InstructionError, clean_instruction, interpret, runnable
from ..jobs import review_state
from ..jobs.outputs import serve_output
from ..jobs.review import operation_title
from ..jobs.validation import lookup_image_by_title
from ..models import GenerationJob
from ..models_admin.access import can_manage_models, models_url
from .queue_estimate import queue_state, queue_text

# field names the job layer reports -> form fields
_FORM_FIELD = {"operation": "operation", "instruction": "instruction", "seed": "seed",
               "mask": "erase_mask_json",
               "strength": "strength", "image": None, "prompt": "prompt", "count": "count",
               "index": None, "idempotency_key": None}


def forbidden_as_403(view):
    """Answer PermissionDenied with a real 403 (Wagtail's admin wrapper would otherwise turn
    it into a redirect to the dashboard): nothing was created or changed."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = str(exc) or _("You do not have permission to do this.")
            if _wants_json(request):
                return JsonResponse({"error": message}, status=403)
            return TemplateResponse(request, "wagtail_gan/admin/denied.html",
                                    {"page_title": _("Permission denied"), "message": message},
                                    status=403)

    return wrapped


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _get_job(request, job_id) -> GenerationJob:
    """The job, or 404 both for a missing job and for someone else's (as the API answers):
    which job ids exist is not for other users to learn."""
    job = GenerationJob.objects.select_related("source_image", "user").filter(pk=job_id).first()
    if job is None or not permissions.can_manage_job(request.user, job):
        raise Http404("No such job")
    return job


def _get_image(request, image_id):
    """The image, among those the user can see (the permission policy first): another
    collection's image is the same 404 as a missing one. One the user sees but may not change
    is a 403 (``check_can_generate_from``)."""
    image = permissions.get_visible_image(request.user, image_id)
    if image is None:
        raise Http404("No such image")
    return image


def _add_job_error(form, exc: jobs.JobError):
    field = _FORM_FIELD.get(exc.field or "", None)
    # An operation that cannot run: the editor's wording (and the Models link for those who
    # may install), not the developer's.
    message = unavailable_message(exc.label) if isinstance(exc, jobs.Unavailable) else exc.message
    if field and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


# --------------------------------------------------------------------------- variants

@forbidden_as_403
@require_http_methods(["GET", "POST"])
def generate_variant(request, image_id):
    if request.method != "POST":
        # The form lives on the image's edit page; this URL stays in the address bar after an
        # invalid submission, so a reload or a bookmark leads back there instead of to a 405.
        return redirect("wagtailimages:edit", image_id)
    image = _get_image(request, image_id)
    permissions.check_can_generate_from(request.user, image)
    form = VariantForm(request.POST, user=request.user, image=image)
    if form.is_valid():
        data = form.cleaned_data
        try:
            job = jobs.submit_variant_job(
                user=request.user, image=image,
                # the Operation menu, else the reading the editor picked in the panel
                operation=form.operation_spec() or request.POST.get("reading", "")[:255] or None,
                instruction=data.get("instruction") or None, seed=data.get("seed"),
                strength=form.strength_fraction(), collection=data.get("collection"),
                idempotency_key=request.POST.get("idempotency_key", "")[:255],
                mask=form.operation_inputs().get("mask"),
            )
        except jobs.JobError as exc:
            _add_job_error(form, exc)
        else:
            if _wants_json(request):
                return JsonResponse(jobs.job_status(job), status=202)
            return redirect("wagtail_gan_admin:job", job.pk)
    if _wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return TemplateResponse(request, "wagtail_gan/admin/variant_form_page.html", {
        "image": image, "form": form, "page_title": _("Generate variant"),
    }, status=400)


@forbidden_as_403
@require_POST
def interpret_instruction(request, image_id):
    """JSON: how an instruction will run: every step, the confidence, the readings to choose
    from when the router is unsure (each with the form values that select it), what was not
    understood, and whether it can run here."""
    image = _get_image(request, image_id)
    permissions.check_can_generate_from(request.user, image)
    form = InterpretForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": _("Describe the edit you want.")}, status=400)
    try:
        text = clean_instruction(form.cleaned_data["instruction"])
        plan = interpret(text, image_lookup=lookup_image_by_title(request.user))
    except InstructionError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    interpretation = plan.as_dict(available=runnable)
    available = interpretation["available"]
    if not available:
        missing = [step["label"] for step in interpretation["steps"] if not step["available"]]
        interpretation["unavailable"] = unavailable_message(", ".join(missing))
        if can_manage_models(request.user):
            interpretation["models_url"] = models_url()
    for reading in interpretation["alternatives"]:
        reading["form_values"] = _reading_form_values(reading)
    return JsonResponse({"interpretation": interpretation,
                         "form_values": _reading_form_values(interpretation),
                         "style_image": _chooser_state(request.user, plan.params)})


def _reading_form_values(reading: dict) -> dict:
    """Form values that select a reading: the Operation menu and its fields for one step;
    several steps go in the panel's hidden ``reading`` field (the menu stays on "From the
    instruction"). Nothing for a reading that cannot run here."""
    if not reading["available"]:
        return {}
    if len(reading["steps"]) > 1:
        return {"operation": "", "reading": reading["spec"]}
    return form_values_for_spec(reading["spec"])


def _chooser_state(user, params) -> dict | None:
    """What Wagtail's image chooser shows for "in the style of <title>" (so the panel can fill
    it in: the Operation menu then says what will run)."""
    image_id = params.get("style_image")
    if not image_id:
        return None
    image = permissions.get_visible_image(user, image_id)
    if image is None:
        return None
    preview = image.get_rendition("max-165x165")
    return {"id": image.pk, "title": image.title,
            "edit_url": reverse("wagtailimages:edit", args=[image.pk]),
            "preview": {"url": preview.url, "width": preview.width, "height": preview.height}}


# --------------------------------------------------------------------------- jobs

@forbidden_as_403
@require_GET
def job_detail(request, job_id):
    job = _get_job(request, job_id)
    source = job.source_image
    status = _admin_status(job)
    return TemplateResponse(request, "wagtail_gan/admin/job.html", {
        "job": job,
        "title": operation_title(job),
        "status": status,
        "source": source,
        "page_title": _("Variant of “%(title)s”") % {"title": source.title} if source
        else _("New image"),
        "status_url": reverse("wagtail_gan_admin:job_status", args=[job.pk]),
    })


def _admin_status(job) -> dict:
    """The shared job status plus what the admin page shows: the queue position and an
    estimate from recent job times, and the review state."""
    queue = queue_state(job)
    return {**jobs.job_status(job), "queue": queue, "queue_text": queue_text(queue),
            "review_state": review_state.review_state(job)}


@forbidden_as_403
@require_GET
def job_status_view(request, job_id):
    job = _get_job(request, job_id)
    return JsonResponse(_admin_status(job))


@forbidden_as_403
@require_GET
def job_output(request, job_id, index):
    return serve_output(_get_job(request, job_id), index)


@forbidden_as_403
@require_POST
def keep(request, job_id):
    job = _get_job(request, job_id)
    try:
        index = int(request.POST.get("index", 0))
    except ValueError:
        index = -1
    try:
        image = jobs.keep_job(job, request.user, index)
    except jobs.JobError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.message}, status=400)
        messages.error(request, exc.message)
        return redirect("wagtail_gan_admin:job", job.pk)
    if _wants_json(request):
        return JsonResponse({"image_id": image.pk,
                             "edit_url": reverse("wagtailimages:edit", args=[image.pk])})
    messages.success(request, format_html(
        _("Saved “{}” to the image library."), image.title))
    return redirect("wagtailimages:edit", image.pk)


@forbidden_as_403
@require_POST
def discard(request, job_id):
    job = _get_job(request, job_id)
    try:
        jobs.discard_job(job, request.user)
    except jobs.JobError as exc:
        messages.error(request, exc.message)
        return redirect("wagtail_gan_admin:job", job.pk)
    messages.success(request, _("Discarded; nothing was added to the library."))
    if job.source_image_id:
        return redirect("wagtailimages:edit", job.source_image_id)
    return redirect("wagtail_gan_admin:generate")


@forbidden_as_403
@require_POST
def cancel(request, job_id):
    job = _get_job(request, job_id)
    if jobs.cancel_job(job, request.user):
        messages.success(request, _("Job cancelled."))
    else:
        messages.warning(request, _("The job had already started; it can no longer be cancelled."))
    next_url = request.POST.get("next") or ""
    if next_url.startswith("/") and not next_url.startswith("//"):
        return HttpResponseRedirect(next_url)
    return redirect("wagtail_gan_admin:job", job.pk)


# --------------------------------------------------------------------------- text-to-image

@forbidden_as_403
def generate_image(request):
    form = GenerateImageForm(request.POST or None, user=request.user)
    if not form.fields["collection"].queryset.exists():
        raise PermissionDenied
    available = operations.get("generate").is_available()
    if request.method == "POST" and not available:
        form.is_valid()
        form.add_error(None, unavailable_message(_("Generate new image")))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = jobs.submit_generate_job(
                user=request.user, prompt=data["prompt"], collection=data["collection"],
                seed=data.get("seed"), count=data["count"],
            )
        except jobs.JobError as exc:
            _add_job_error(form, exc)
        else:
            return redirect("wagtail_gan_admin:job", job.pk)
    recent = GenerationJob.objects.filter(user=request.user, kind=GenerationJob.Kind.GENERATE)[:5]
    return TemplateResponse(request, "wagtail_gan/admin/generate.html", {
        "form": form, "page_title": _("Generate new image"), "recent_jobs": recent,
        "available": available,
        "models_url": models_url() if can_manage_models(request.user) else None,
    }, status=400 if form.is_bound and form.errors else 200)

