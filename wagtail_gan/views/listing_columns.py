"""The columns of the AI jobs listing (``views/listing.py``). A row is an image job
(``GenerationJob``) or a video job (``VideoJob``): each column says what it shows for both."""

from __future__ import annotations

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, StatusTagColumn, TitleColumn

from ..jobs import review_state
from ..models import GenerationJob, VideoJob
from ..operations import describe

OBJ_TYPE = "gan-job"


def is_video(job) -> bool:
    return isinstance(job, VideoJob)


def job_url(job) -> str:
    if is_video(job):
        return reverse("wagtail_gan_video:job", args=[job.pk])
    return reverse("wagtail_gan_admin:job", args=[job.pk])


def job_title(job) -> str:
    """The editor's name for what the job does: "Upscale 2x", "Video: 2x slow motion"."""
    if is_video(job):
        return _("Video: %(label)s") % {"label": job.label}
    return describe(job.operation, {"prompt": job.instruction} if job.instruction else None)


class BulkCheckboxColumn(BulkActionsCheckboxColumn):
    """Wagtail's bulk-action checkbox, for image jobs only (Keep and Discard are theirs; a
    video job has nothing to review): a video row gets an empty cell."""

    cell_template_name = "wagtail_gan/admin/job_checkbox_cell.html"

    def get_aria_describedby(self, instance):
        return f"{OBJ_TYPE}_{instance.pk}_title"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["selectable"] = not is_video(instance)
        return context


class OperationColumn(TitleColumn):
    """The editor's name for the job, linked to its page; the spec beneath it (image jobs)."""

    cell_template_name = "wagtail_gan/admin/operation_cell.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, get_url=job_url, **kwargs)

    def get_value(self, instance):
        return job_title(instance)

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["spec"] = "" if is_video(instance) else instance.operation
        # the bulk checkbox's description (Wagtail's pattern): the title, and only it
        context["title_id"] = None if is_video(instance) else f"{OBJ_TYPE}_{instance.pk}_title"
        return context


class TypeColumn(Column):
    def get_value(self, instance):
        return _("Video") if is_video(instance) else _("Image")


class SourceColumn(Column):
    """The source image's title, linked to its edit page while the image exists; the prompt of a
    text-to-image job; a video job's source video or stills; a dash when the source is gone."""

    cell_template_name = "wagtail_gan/admin/image_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        image_id = None
        if not is_video(instance) and instance.source_image_id and instance.source_image:
            image_id = instance.source_image_id
        context["image_url"] = reverse("wagtailimages:edit", args=[image_id]) if image_id else None
        return context

    def get_value(self, instance):
        if is_video(instance):
            if instance.kind == VideoJob.Kind.INTERPOLATE:
                return instance.source_title or "—"
            titles = [s.get("title", "") for s in instance.source_images]
            return " → ".join(titles[:3]) + (" …" if len(titles) > 3 else "") or "—"
        if instance.source_image_id and instance.source_image:
            return instance.source_image.title
        return instance.instruction[:60] if instance.kind == GenerationJob.Kind.GENERATE else "—"


class ReviewStatusColumn(StatusTagColumn):
    """Queued / running / failed / cancelled, and for succeeded image jobs what the editor did:
    awaiting review, kept, discarded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, primary=self.is_primary, **kwargs)

    @staticmethod
    def is_primary(job) -> bool:
        if is_video(job):
            return job.is_active
        return job.is_active or review_state.review_state(job) == review_state.AWAITING

    def get_value(self, instance):
        if is_video(instance):
            return instance.get_status_display()
        return review_state.status_label(instance)


class ProgressColumn(Column):
    """Only meaningful while the job runs (a failed job's last progress is noise)."""

    def get_value(self, instance):
        if instance.is_active:
            return f"{instance.progress} %"
        return "100 %" if instance.status == GenerationJob.Status.SUCCEEDED else "—"


class DurationColumn(Column):
    def get_value(self, instance):
        d = instance.duration
        return f"{d:.1f} s" if d is not None else ""


class ActionsColumn(Column):
    """Cancel a queued (or waiting) job, back to the listing."""

    cell_template_name = "wagtail_gan/admin/job_actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["job"] = instance
        if is_video(instance):
            context["can_cancel"] = instance.status == VideoJob.Status.QUEUED
            context["cancel_url"] = reverse("wagtail_gan_video:job_cancel", args=[instance.pk])
        else:
            context["can_cancel"] = instance.status in (GenerationJob.Status.QUEUED,
                                                        GenerationJob.Status.WAITING)
            context["cancel_url"] = reverse("wagtail_gan_admin:job_cancel", args=[instance.pk])
        context["label"] = job_title(instance)
        # Wagtail renders cells with a plain dict: without the token the form is refused (403)
        context["csrf_token"] = get_token(request) if request else ""
        context["next"] = listing_url(request)
        return context


def listing_url(request) -> str:
    """Where Cancel returns: the listing, also when the row came from the results-only URL
    that Wagtail's filters load."""
    if request is None:
        return ""
    url = request.get_full_path()
    results = reverse("wagtail_gan_jobs:index_results")
    if url.startswith(results):
        url = reverse("wagtail_gan_jobs:index") + url[len(results):]
    return url
