"""The admin's "AI jobs" listing (a Wagtail viewset): image jobs (``GenerationJob``) and video
jobs (``VideoJob``) in one table, newest first, with a Type filter; filter by status, review
state, operation and (for superusers) user; cancel queued jobs; keep or discard several image
jobs at once (Wagtail's bulk actions, ``views/job_bulk.py``). Editors see their own jobs,
superusers everyone's; the filters only offer values from the jobs the user can see."""

from __future__ import annotations

import heapq
from operator import attrgetter

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import DateColumn, UserColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet

from ..jobs import review_state
from ..models import GenerationJob, VideoJob
from ..operations import describe
from .listing_columns import (
    OBJ_TYPE,
    ActionsColumn,
    BulkCheckboxColumn,
    DurationColumn,
    OperationColumn,
    ProgressColumn,
    ReviewStatusColumn,
    SourceColumn,
    TypeColumn,
)

MINE = "mine"
IMAGE, VIDEO = "image", "video"
# filters that only image jobs have: a video job never matches them
IMAGE_ONLY_FILTERS = ("review", "operation", "kind")
SOURCES = {**dict(GenerationJob.Source.choices), **dict(VideoJob.Source.choices)}


def visible_jobs(user, model=GenerationJob):
    qs = model.objects.all()
    return qs if user.is_superuser else qs.filter(user=user)


def _user_queryset(request):
    User = get_user_model()
    users = User.objects.filter(Q(gan_jobs__isnull=False) | Q(gan_video_jobs__isnull=False))
    if request is None or not request.user.is_superuser:
        users = users.filter(pk=getattr(getattr(request, "user", None), "pk", None))
    return users.distinct().order_by(User.USERNAME_FIELD)


class JobFilterSet(WagtailFilterSet):
    type = django_filters.ChoiceFilter(
        label=_("Type"), method="filter_type", empty_label=_("Image and video"),
        choices=[(IMAGE, _("Image jobs")), (VIDEO, _("Video jobs"))],
    )
    review = django_filters.ChoiceFilter(
        label=_("Review"), method="filter_review", empty_label=_("Any"),
        choices=[(MINE, _("Awaiting my review")), *review_state.LABELS.items()],
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=GenerationJob.Status.choices)
    user = django_filters.ModelChoiceFilter(label=_("User"), queryset=_user_queryset)
    operation = django_filters.ChoiceFilter(label=_("Operation"), choices=[])
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=GenerationJob.Kind.choices)
    source = django_filters.ChoiceFilter(label=_("Started by"), choices=list(SOURCES.items()))

    class Meta:
        model = GenerationJob
        fields = ["type", "review", "status", "user", "operation", "kind", "source"]

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

    def filter_type(self, queryset, name, value):
        return queryset  # which models are listed: the view's (``JobIndexView.get_queryset``)

    def filter_video_jobs(self, queryset):
        """The filters a video job has (status, user, started by) applied to ``queryset``;
        nothing when an image-only filter is set or the Type is "Image jobs"."""
        data = self.form.cleaned_data
        if data.get("type") == IMAGE or any(data.get(name) for name in IMAGE_ONLY_FILTERS):
            return queryset.none()
        for name in ("status", "user", "source"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        return queryset

    def filter_review(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(review_state.QUERIES[review_state.AWAITING],
                                   user=self.request.user)
        if value in review_state.QUERIES:
            return queryset.filter(review_state.QUERIES[value])
        return queryset


class MergedJobs:
    """Image and video jobs as one list ordered by ``created_at``, for Django's paginator: a
    page reads at most ``stop`` rows of each queryset (both ordered the same way)."""

    def __init__(self, querysets, *, descending: bool = True):
        self.querysets = [qs for qs in querysets if qs is not None]
        self.descending = descending

    def count(self) -> int:
        return sum(qs.count() for qs in self.querysets)

    def __len__(self) -> int:
        return self.count()

    def _merged(self, stop=None):
        parts = [qs if stop is None else qs[:stop] for qs in self.querysets]
        return heapq.merge(*parts, key=attrgetter("created_at"), reverse=self.descending)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return list(self._merged(key.stop))[key]
        return list(self._merged(key + 1))[key]

    def __iter__(self):
        return iter(self._merged())


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

    template_name = "wagtail_gan/admin/jobs_index.html"

    columns = [
        BulkCheckboxColumn("bulk_actions", obj_type=OBJ_TYPE),
        OperationColumn("operation", label=_("Job")),
        TypeColumn("type", label=_("Type")),
        SourceColumn("source_image", label=_("Source")),
        ReviewStatusColumn("status", label=_("Status")),
        ProgressColumn("progress", label=_("Progress")),
        UserColumn("user", label=_("User")),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DurationColumn("duration", label=_("Duration")),
        ActionsColumn("actions", label=""),
    ]

    def get_base_queryset(self):
        return visible_jobs(self.request.user).select_related("user", "source_image")

    def get_queryset(self):
        """Image jobs filtered by the filter set, video jobs by the filters they have (none
        when the Type or an image-only filter excludes them), merged by creation time."""
        images = super().get_queryset()
        videos = visible_jobs(self.request.user, VideoJob).select_related("user")
        chosen = None
        if self.filters and self.filters.is_valid():
            chosen = self.filters.form.cleaned_data.get("type")
            videos = self.filters.filter_video_jobs(videos)
        descending = self.ordering != "created_at"
        order = ("-created_at", "-pk") if descending else ("created_at", "pk")
        return MergedJobs([None if chosen == VIDEO else images.order_by(*order),
                           None if chosen == IMAGE else videos.order_by(*order)],
                          descending=descending)


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
