"""Wagtail hooks for provenance: the "Check an image" admin page (Reports menu)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .views import CheckImageView, user_can_check


@hooks.register("register_admin_urls")
def register_check_image_url():
    return [path("gan/check-image/", CheckImageView.as_view(), name="wagtail_gan_check_image")]


class CheckImageMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_check(request.user)


@hooks.register("register_reports_menu_item")
def register_check_image_menu_item():
    return CheckImageMenuItem(
        _("Check an image (AI)"), reverse("wagtail_gan_check_image"), icon_name="image", order=900
    )
