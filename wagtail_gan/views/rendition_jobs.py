"""Admin listing of ML rendition jobs (Reports menu > "ML renditions"): a ModelViewSet over
``RenditionJob``; setting a job back to "pending" re-queues it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from .. import queue
from ..jobs.review_state import waiting_label
from ..models import RenditionJob


class RenditionJobEditView(generic.EditView):
    """Editing a job's status to "pending" (e.g. after installing a missing model) re-queues it
    with a fresh attempt count."""

    def save_instance(self):
        instance = super().save_instance()
        if instance.status == RenditionJob.Status.PENDING:
            RenditionJob.objects.filter(pk=instance.pk).update(attempts=0, error="")
            queue.request("rendition", instance.pk)
        return instance


class RenditionJobIndexView(generic.IndexView):
    """Jobs are created by rendering templates, never by hand: no "Add" button."""

    def get_add_url(self):
        return None

    def _get_title_column(self, field_name, column_class=None, **kwargs):
        # Room for specs such as "width-480|stylize-7|poolslot-3" on one or two lines.
        kwargs.setdefault("width", "22%")
        if column_class is None:
            return super()._get_title_column(field_name, **kwargs)
        return super()._get_title_column(field_name, column_class, **kwargs)


class RenditionStatusColumn(StatusTagColumn):
    """The status; for a job waiting for its model, which model (it runs once installed)."""

    def get_value(self, instance):
        if instance.status == RenditionJob.Status.WAITING and instance.waiting_for:
            return waiting_label(instance.waiting_for)
        return instance.get_status_display()


class SecondsColumn(Column):
    def get_value(self, instance):
        value = getattr(instance, self.accessor)
        return f"{value:.2f} s" if value is not None else ""


class ErrorColumn(Column):
    """The first line of the error, shortened; the whole text in the tooltip and the edit view."""

    cell_template_name = "wagtail_gan/admin/error_cell.html"


class RenditionJobViewSet(ModelViewSet):
    model = RenditionJob
    index_view_class = RenditionJobIndexView
    edit_view_class = RenditionJobEditView
    icon = "image"
    menu_label = _("ML renditions")
    add_to_admin_menu = True
    menu_order = 900
    url_prefix = "gan/renditions"
    url_namespace = "wagtail_gan_renditions"
    list_display = [
        "filter_spec",
        Column("image", label=_("Image")),
        RenditionStatusColumn("status", label=_("Status"), sort_key="status",
                              primary=lambda job: job.status in ("pending", "running")),
        Column("attempts", label=_("Attempts"), sort_key="attempts"),
        ErrorColumn("error", label=_("Error"), width="25%"),
        Column("model_id", label=_("Model"), sort_key="model_id"),
        SecondsColumn("duration", label=_("Model time"), sort_key="duration"),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["status"]
    search_fields = ["filter_spec", "error"]
    ordering = ["-updated_at"]
    # Only the status is editable: setting a failed job back to "pending" re-queues it.
    form_fields = ["status"]
    inspect_view_enabled = True
    copy_view_enabled = False
    export_filename = "ml-renditions"

    def get_index_view_kwargs(self, **kwargs):
        # The "image" column: one join instead of one query per row.
        return super().get_index_view_kwargs(
            queryset=RenditionJob.objects.select_related("image"), **kwargs
        )
