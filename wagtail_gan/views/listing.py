"""Admin listing of generation jobs (a Wagtail viewset): filter by status, user and operation;
cancel queued jobs. Editors see their own jobs, superusers everyone's."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn, UserColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet

from ..models import GenerationJob


def _operation_choices():
    ops = GenerationJob.objects.order_by("operation").values_list("operation", flat=True).distinct()
    return [(op, op) for op in ops[:200]]


def _user_queryset(request):
    User = get_user_model()
    return User.objects.filter(gan_jobs__isnull=False).distinct().order_by(User.USERNAME_FIELD)


class JobFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=GenerationJob.Status.choices)
    user = django_filters.ModelChoiceFilter(label=_("User"), queryset=_user_queryset)
    operation = django_filters.ChoiceFilter(label=_("Operation"), choices=_operation_choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=GenerationJob.Kind.choices)

    class Meta:
        model = GenerationJob
        fields = ["status", "user", "operation", "kind"]


class DurationColumn(Column):
    def get_value(self, instance):
        d = instance.duration
        return f"{d:.1f} s" if d is not None else ""


class ImageColumn(Column):
    """The source image's title, linked to its edit page while the image exists; the prompt of a
    text-to-image job; a dash when the source image was deleted."""

    cell_template_name = "wagtail_gan/admin/image_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        image_id = instance.source_image_id if instance.source_image else None
        context["image_url"] = reverse("wagtailimages:edit", args=[image_id]) if image_id else None
        return context

    def get_value(self, instance):
        if instance.source_image_id and instance.source_image:
            return instance.source_image.title
        return instance.instruction[:60] if instance.kind == GenerationJob.Kind.GENERATE else "—"


class ActionsColumn(Column):
    cell_template_name = "wagtail_gan/admin/job_actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["job"] = instance
        context["can_cancel"] = instance.status == GenerationJob.Status.QUEUED
        context["cancel_url"] = reverse("wagtail_gan_admin:job_cancel", args=[instance.pk])
        context["next"] = request.get_full_path() if request else ""
        return context


class JobIndexView(IndexView):
    model = GenerationJob
    page_title = _("AI jobs")
    header_icon = "resubmit"
    index_url_name = "wagtail_gan_jobs:index"
    index_results_url_name = "wagtail_gan_jobs:index_results"
    filterset_class = JobFilterSet
    default_ordering = "-created_at"
    any_permission_required = None
    permission_policy = None
    paginate_by = 30

    columns = [
        TitleColumn("operation", label=_("Operation"),
                    get_url=lambda job: reverse("wagtail_gan_admin:job", args=[job.pk])),
        ImageColumn("source_image", label=_("Image / prompt")),
        StatusTagColumn("status", label=_("Status"), accessor="get_status_display",
                        primary=lambda job: job.status in ("queued", "running")),
        Column("progress", label=_("Progress %")),
        UserColumn("user", label=_("User")),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DurationColumn("duration", label=_("Duration")),
        ActionsColumn("actions", label=""),
    ]

    def get_base_queryset(self):
        qs = GenerationJob.objects.select_related("user", "source_image")
        if not self.request.user.is_superuser:
            qs = qs.filter(user=self.request.user)
        return qs


class JobViewSet(ViewSet):
    name = "wagtail_gan_jobs"
    url_prefix = "gan/jobs"
    icon = "resubmit"
    menu_label = _("AI jobs")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", JobIndexView.as_view(), name="index"),
            path("results/", JobIndexView.as_view(results_only=True), name="index_results"),
        ]
