"""Admin listing of generation jobs (a Wagtail viewset): filter by status, review state,
operation and (for superusers) user; cancel queued jobs. Editors see their own jobs,
superusers everyone's; the filters only offer values from the jobs the user can see."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn, UserColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet

from ..jobs import review_state
from ..models import GenerationJob
from ..operations import describe

MINE = "mine"


def visible_jobs(user):
    qs = GenerationJob.objects.all()
    return qs if user.is_superuser else qs.filter(user=user)


def _user_queryset(request):
    User = get_user_model()
    users = User.objects.filter(gan_jobs__isnull=False)
    if request is None or not request.user.is_superuser:
        users = users.filter(pk=getattr(getattr(request, "user", None), "pk", None))
    return users.distinct().order_by(User.USERNAME_FIELD)


class JobFilterSet(WagtailFilterSet):
    review = django_filters.ChoiceFilter(
        label=_("Review"), method="filter_review", empty_label=_("Any"),
        choices=[(MINE, _("Awaiting my review")), *review_state.LABELS.items()],
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=GenerationJob.Status.choices)
    user = django_filters.ModelChoiceFilter(label=_("User"), queryset=_user_queryset)
    operation = django_filters.ChoiceFilter(label=_("Operation"), choices=[])
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=GenerationJob.Kind.choices)
    source = django_filters.ChoiceFilter(label=_("Started by"),
                                         choices=GenerationJob.Source.choices)

    class Meta:
        model = GenerationJob
        fields = ["review", "status", "user", "operation", "kind", "source"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is None or not user.is_superuser:
            # an editor sees only their own jobs: nobody else's name or operations
            self.filters.pop("user", None)
        ops = (visible_jobs(user).order_by("operation").values_list("operation", flat=True)
               .distinct()[:200]) if user is not None else []
        self.filters["operation"].extra["choices"] = [(op, f"{describe(op)} ({op})")
                                                      for op in ops]

    def filter_review(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(review_state.QUERIES[review_state.AWAITING],
                                   user=self.request.user)
        if value in review_state.QUERIES:
            return queryset.filter(review_state.QUERIES[value])
        return queryset


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
        context["can_cancel"] = instance.status in (GenerationJob.Status.QUEUED,
                                                    GenerationJob.Status.WAITING)
        context["cancel_url"] = reverse("wagtail_gan_admin:job_cancel", args=[instance.pk])
        # Wagtail renders cells with a plain dict: without the token the form is refused (403)
        context["csrf_token"] = get_token(request) if request else ""
        context["next"] = _listing_url(request)
        return context


def _listing_url(request) -> str:
    """Where Cancel returns: the listing, also when the row came from the results-only URL
    that Wagtail's filters load."""
    if request is None:
        return ""
    url = request.get_full_path()
    results = reverse("wagtail_gan_jobs:index_results")
    if url.startswith(results):
        url = reverse("wagtail_gan_jobs:index") + url[len(results):]
    return url


class OperationColumn(TitleColumn):
    """The editor's name for the operation, linked to the job; the spec beneath it."""

    cell_template_name = "wagtail_gan/admin/operation_cell.html"

    def get_value(self, instance):
        return describe(instance.operation, {"prompt": instance.instruction}
                        if instance.instruction else None)

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["spec"] = instance.operation
        return context


class ReviewStatusColumn(StatusTagColumn):
    """Queued / running / failed / cancelled, and for succeeded jobs what the editor did:
    awaiting review, kept, discarded."""

    def get_value(self, instance):
        return review_state.status_label(instance)


class ProgressColumn(Column):
    """Only meaningful while the job runs (a failed job's last progress is noise)."""

    def get_value(self, instance):
        if instance.is_active:
            return f"{instance.progress} %"
        return "100 %" if instance.status == GenerationJob.Status.SUCCEEDED else "—"


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
        OperationColumn("operation", label=_("Operation"),
                        get_url=lambda job: reverse("wagtail_gan_admin:job", args=[job.pk])),
        ImageColumn("source_image", label=_("Image / prompt")),
        ReviewStatusColumn("status", label=_("Status"),
                           primary=lambda job: job.is_active
                           or review_state.review_state(job) == review_state.AWAITING),
        ProgressColumn("progress", label=_("Progress")),
        UserColumn("user", label=_("User")),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DurationColumn("duration", label=_("Duration")),
        ActionsColumn("actions", label=""),
    ]

    def get_base_queryset(self):
        return visible_jobs(self.request.user).select_related("user", "source_image")


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
