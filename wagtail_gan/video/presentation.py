"""What the admin's video job page shows (web tier): the parameters in words, the progress in
frames (or what happens before the first frame), the banner that fits the job's status, and the
finished video for the page's player. The page's JSON (polled while the job runs) carries the
same texts, so the page and its updates say the same thing."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail_gan.models import VideoJob

from . import library

ENGINE_LABELS = {"model": gettext_lazy("AI model (RIFE)"),
                 "blend": gettext_lazy("Cross-fade (no model)")}


def engine_label(job: VideoJob) -> str:
    return str(ENGINE_LABELS.get(job.engine, job.engine))


def parameters(job: VideoJob) -> list[tuple[str, str]]:
    """(label, value) of what the job was asked for, in words."""
    p = job.params or {}
    rows = []
    if job.kind == VideoJob.Kind.INTERPOLATE:
        rows.append((_("Factor"), f"{p.get('factor', '?')}×"))
        if p.get("mode") == "slowmo":
            rows.append((_("Result"), _("Slow motion: same frame rate, longer (audio "
                                        "stretched)")))
        else:
            rows.append((_("Result"), _("Smoother: more frames per second, same length")))
    else:
        rows.append((_("Length"), _("%(seconds)s s") % {"seconds": p.get("seconds", "?")}))
        rows.append((_("Frames per second"), str(p.get("fps", "?"))))
        rows.append((_("Hold on each image"), _("%(seconds)s s") % {"seconds": p.get("hold", "?")}))
    rows.append((_("In-between frames"), engine_label(job)))
    device = (p.get("engine_params") or {}).get("device")
    if device:
        rows.append((_("Ran on"), str(device).upper()))
    return rows


def frames_text(job: VideoJob) -> str:
    """"120 of 480 frames", or what happens before the first frame is written."""
    if job.frames_total:
        return _("%(done)d of %(total)d frames") % {"done": job.frames_done,
                                                    "total": job.frames_total}
    if job.status == VideoJob.Status.QUEUED:
        return _("Waiting for a worker to start.")
    if job.status == VideoJob.Status.RUNNING:
        return _("Reading the source and planning the frames…")
    return ""


def banner(job: VideoJob) -> dict:
    """The message at the top of the page: ``level`` (Wagtail's help-block kinds: info,
    warning, critical), ``icon`` and text."""
    status = job.status
    if status == VideoJob.Status.QUEUED:
        return {"level": "info", "icon": "time", "text": _("The video job is queued: a worker starts it soon. "
                                           "You can leave this page; it carries on.")}
    if status == VideoJob.Status.RUNNING:
        return {"level": "info", "icon": "spinner", "text": _("The video is being made. You can leave this page; "
                                           "find the job again under AI images › AI jobs.")}
    if status == VideoJob.Status.SUCCEEDED:
        return {"level": "info", "icon": "success", "text": _("The new video is in the media "
                                                              "library.")}
    if status == VideoJob.Status.CANCELLED:
        return {"level": "warning", "icon": "warning", "text": _("The job was cancelled; nothing was added to the "
                                              "media library.")}
    return {"level": "critical", "icon": "warning", "text": _("The video job failed; nothing was added to the "
                                           "media library.")}


def result_video(job: VideoJob) -> dict | None:
    """The finished video for the page's player: its file URL, poster and size."""
    if not job.result_media_id or not library.installed():
        return None
    media = library.media_model().objects.filter(pk=job.result_media_id).first()
    if media is None or not media.file:
        return None
    thumbnail = getattr(media, "thumbnail", None)
    try:
        edit_url = reverse("wagtailmedia:edit", args=[media.pk])
    except NoReverseMatch:
        edit_url = ""
    return {"url": media.file.url, "poster": thumbnail.url if thumbnail else "",
            "width": media.width or "", "height": media.height or "", "title": media.title,
            "edit_url": edit_url}


def page_state(job: VideoJob, state: dict) -> dict:
    """The API's job state plus the page's texts (``?format=json``)."""
    return {**state, "status_label": str(job.get_status_display()),
            "frames_text": frames_text(job), "banner": banner(job)}
