"""Wagtail hooks of the rendition filters (imported from ``wagtail_hooks``).

* ``register_image_operations``: ``upscale``, ``winterize``, ``stylize``;
* an admin listing of ``RenditionJob`` rows (Reports menu > "ML renditions").
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from .models import RenditionJob
from .operations import OPERATIONS


@hooks.register("register_image_operations")
def register_gan_operations():
    return OPERATIONS


class RenditionJobEditView(generic.EditView):
    """Editing a job's status to "pending" (e.g. after installing a missing model) re-queues it
    with a fresh attempt count."""

    def save_instance(self):
        instance = super().save_instance()
        if instance.status == RenditionJob.Status.PENDING:
            from .renditions import enqueue

            RenditionJob.objects.filter(pk=instance.pk).update(attempts=0, error="")
            transaction.on_commit(lambda: enqueue(instance.pk), robust=True)
        return instance


class RenditionJobViewSet(ModelViewSet):
    model = RenditionJob
    edit_view_class = RenditionJobEditView
    icon = "image"
    menu_label = _("ML renditions")
    add_to_admin_menu = True
    menu_order = 900
    url_prefix = "gan/renditions"
    url_namespace = "wagtail_gan_renditions"
    list_display = ["filter_spec", "image", "status", "attempts", "error", "model_id",
                    "duration", "updated_at"]
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


rendition_job_viewset = RenditionJobViewSet("wagtail_gan_renditions")


@hooks.register("register_admin_viewset")
def register_rendition_job_viewset():
    return rendition_job_viewset
