"""Admin views of video (web tier): "Interpolate (AI)" on a library video, "Make a clip with
its variants" from an image, and the job page with its progress in frames (polled as JSON).
The buttons are added to wagtailmedia's and Wagtail's edit pages by a static script that
``wagtail_hooks`` inserts (no template of theirs is overridden, no inline script)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wagtail_gan.exceptions import JobError
from wagtail_gan.models import Variant, VideoJob
from wagtail_gan.models_admin.access import can_manage_models
from wagtail_gan.models_zoo import registry
from wagtail_gan.permissions import (
    can_manage_job,
    get_visible_image,
    parse_pk,
    visible_images,
)
from wagtail_gan.widgets import ImageChooser

from . import library, presentation, submit, validation
from .api import job_state
from .sweeper import orphaned_jobs

EXTRA_CHOOSERS = 4  # images the clip page can add besides the image and its variants


def _error(request, template, context, exc, status=400):
    context["error"] = exc.message if isinstance(exc, JobError) else str(exc)
    context["error_field"] = getattr(exc, "field", None)
    return TemplateResponse(request, template, context, status=status)


def interpolate_view(request, media_id):
    try:  # a media item this user may not see is a 404 exactly like a missing one
        media = library.get_video(request.user, media_id)
    except JobError as exc:
        raise Http404(exc.message) from None
    context = {"media": media, "factors": validation.FACTORS, "values": request.POST or {},
               "model_available": _model_available(),
               "can_manage_models": can_manage_models(request.user),
               "page_title": _("Interpolate video")}
    template = "wagtail_gan/video/interpolate.html"
    if request.method != "POST":
        return TemplateResponse(request, template, context)
    try:
        job = submit.submit_interpolate_job(
            user=request.user, media=media, factor=request.POST.get("factor"),
            mode=request.POST.get("mode"), engine=request.POST.get("engine"))
    except (JobError, PermissionDenied) as exc:
        return _error(request, template, context, exc, 403 if isinstance(exc, PermissionDenied)
                      else 400)
    # no "started" message: the job page's banner says what the job is doing now
    return redirect("wagtail_gan_video:job", job.pk)


def clip_view(request):
    # Every image is looked up among those the user can see (the permission policy first):
    # another collection's image, or its variants there, look exactly like missing ones.
    visible = visible_images(request.user)
    # (the page's empty image choosers post blank values: not a choice, skipped)
    ids = [i.strip() for i in request.POST.getlist("images") if i.strip()] \
        if request.method == "POST" else []
    start = get_visible_image(request.user, request.GET.get("image"))
    candidates = []
    if start is not None:
        candidates = [start] + [v.image for v in Variant.objects.filter(
            source_image=start, image__in=visible).select_related("image").order_by(
            "created_at")]
    chooser = ImageChooser()
    context = {"candidates": candidates, "values": request.POST or {},
               "start": candidates[0] if candidates else None,
               # Wagtail's image chooser (CSP-safe): add images that are not variants
               "choosers": [chooser.render("images", None, {"id": f"gan-clip-image-{i}"})
                            for i in range(1, EXTRA_CHOOSERS + 1)],
               "media": chooser.media,
               "defaults": {"seconds": validation.DEFAULT_SECONDS, "fps": validation.DEFAULT_FPS,
                            "hold": validation.DEFAULT_HOLD},
               "model_available": _model_available(),
               "can_manage_models": can_manage_models(request.user),
               "page_title": _("Make a clip")}
    template = "wagtail_gan/video/clip.html"
    if request.method != "POST":
        return TemplateResponse(request, template, context)
    found = visible.in_bulk([pk for pk in map(parse_pk, ids) if pk is not None])
    images = [found.get(parse_pk(i)) for i in ids]
    try:
        if None in images:
            raise JobError(_("No image %(id)s that you can see.")
                           % {"id": ids[images.index(None)][:20]}, "images")
        job = submit.submit_stills_job(
            user=request.user, images=images, seconds=request.POST.get("seconds"),
            fps=request.POST.get("fps"), hold=request.POST.get("hold"),
            engine=request.POST.get("engine"), title=request.POST.get("title", ""))
    except (JobError, PermissionDenied) as exc:
        return _error(request, template, context, exc, 403 if isinstance(exc, PermissionDenied)
                      else 400)
    return redirect("wagtail_gan_video:job", job.pk)


def _get_job(request, pk) -> VideoJob:
    """The job, or the same 404 for a missing job and someone else's (ids are not to be
    enumerated)."""
    job = VideoJob.objects.filter(pk=pk).first()
    if job is None or not can_manage_job(request.user, job):
        raise Http404("No such job")
    return job


def job_view(request, pk):
    job = _get_job(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(presentation.page_state(job, job_state(job)))
    can_cancel = job.status == VideoJob.Status.QUEUED or (
        job.status == VideoJob.Status.RUNNING and orphaned_jobs().filter(pk=job.pk).exists())
    return TemplateResponse(request, "wagtail_gan/video/job.html", {
        "job": job, "state": job_state(job), "can_cancel": can_cancel,
        "parameters": presentation.parameters(job), "frames_text": presentation.frames_text(job),
        "banner": presentation.banner(job), "video": presentation.result_video(job),
        "page_title": _("Video job")})


@require_POST
def cancel_view(request, pk):
    """The job page's (and the AI jobs listing's) Cancel button: a queued job, or a running
    one whose worker died. Back to ``next`` (a path on this site), else the job page."""
    job = _get_job(request, pk)
    if submit.cancel_job(job, request.user):
        messages.success(request, _("Video job cancelled."))
    else:
        messages.warning(request, _("The video job is running on a live worker or has "
                                    "ended; it can no longer be cancelled."))
    next_url = request.POST.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(next_url)
    return redirect("wagtail_gan_video:job", job.pk)


def _model_available() -> bool:
    return registry.is_available("interpolate")


def edit_page_buttons() -> dict:
    """What the global admin script (``static/wagtail_gan/js/gan-admin-global.js``) needs to
    add "Interpolate (AI)" to a video's edit page (wagtailmedia's, not overridden): the
    edit-page URL pattern (reversed here, so it follows the site's admin prefix), our URL and
    label. It needs wagtailmedia (results go to its library): without it, nothing. ("Make a
    clip with its variants" is rendered with the image edit page's panel.)"""
    if not library.installed():
        return {}

    def pattern(name):
        try:
            url = reverse(name, args=[987654321])
        except NoReverseMatch:
            return None
        return "^" + re.escape(url).replace("987654321", "(\\d+)") + "$"

    return {
        "media": pattern("wagtailmedia:edit"),
        "interpolate": reverse("wagtail_gan_video:interpolate", args=[0]),
        "interpolateLabel": _("Interpolate (AI): smoother or slow motion"),
    }
