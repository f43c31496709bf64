"""Wagtail hooks of the editor actions (imported from ``wagtail_hooks``): admin URLs, the
"AI images" menu (Generate new image, AI jobs), the jobs viewset and the bulk action."""

from __future__ import annotations

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import admin_urls
from .permissions import collections_user_can_add_to
from .views.bulk import GenerateVariantBulkAction
from .views.listing import JobViewSet


@hooks.register("register_admin_urls")
def register_gan_admin_urls():
    return [path("gan/", include((admin_urls.urlpatterns, "wagtail_gan_admin"),
                                 namespace="wagtail_gan_admin"))]


job_viewset = JobViewSet()


@hooks.register("register_admin_viewset")
def register_job_viewset():
    return job_viewset


class GenerateMenuItem(MenuItem):
    def is_shown(self, request):
        return collections_user_can_add_to(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_ai_images_menu():
    return SubmenuMenuItem(
        _("AI images"),
        Menu(items=[
            GenerateMenuItem(_("Generate new image"), reverse("wagtail_gan_admin:generate"),
                             icon_name="image", order=100),
            MenuItem(_("AI jobs"), reverse("wagtail_gan_jobs:index"), icon_name="resubmit",
                     order=200),
        ]),
        icon_name="image", name="ai-images", order=310,
    )


hooks.register("register_bulk_action", GenerateVariantBulkAction)
