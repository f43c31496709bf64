"""Every Wagtail hook of wagtail-gan, in one place: image operations (rendition filters and
pool slots), admin URLs, menus, viewsets and the bulk action."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent

from . import operations
from .jobs import review_state
from .models_admin.access import can_manage_models
from .permissions import collections_user_can_add_to
from .pools.operation import OPERATIONS as POOL_OPERATIONS
from .provenance.views import CheckImageView, user_can_check
from .renditions.filters import filter_operations
from .video import urls as video_urls
from .video.views import admin_buttons_script
from .views import admin_urls
from .views.bulk import GenerateVariantBulkAction
from .views.listing import JobViewSet
from .views.rendition_jobs import RenditionJobViewSet

# -- image operations ----------------------------------------------------------------------


@hooks.register("register_image_operations")
def register_gan_operations():
    """Every operation of the registry that is a rendition filter (upscale, winterize, ...)."""
    return filter_operations()


@hooks.register("register_image_operations")
def register_pool_operations():
    return POOL_OPERATIONS


# -- admin URLs, viewsets, menus -------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_gan_admin_urls():
    return [
        path("gan/", include((admin_urls.urlpatterns, "wagtail_gan_admin"),
                             namespace="wagtail_gan_admin")),
        path("gan/check-image/", CheckImageView.as_view(), name="wagtail_gan_check_image"),
    ]


job_viewset = JobViewSet()
rendition_job_viewset = RenditionJobViewSet("wagtail_gan_renditions")


@hooks.register("register_admin_viewset")
def register_job_viewset():
    return job_viewset


@hooks.register("register_admin_viewset")
def register_rendition_job_viewset():
    return rendition_job_viewset


class GenerateMenuItem(MenuItem):
    """Shown to those who may add images, once a text-to-image model is installed."""

    def is_shown(self, request):
        return (operations.get("generate").is_available()
                and collections_user_can_add_to(request.user).exists())


def _awaiting_count(request) -> int:
    if not hasattr(request, "_gan_awaiting_review"):
        request._gan_awaiting_review = review_state.awaiting_review(request.user).count()
    return request._gan_awaiting_review


class JobsMenuItem(MenuItem):
    """"AI jobs", with the number of the user's results waiting to be kept or discarded (and
    then a link to exactly those)."""

    def render_component(self, request):
        count = _awaiting_count(request)
        if not count:
            return super().render_component(request)
        label = _("AI jobs (%(count)d to review)") % {"count": count}
        return LinkMenuItemComponent(self.name, label, f"{self.url}?review=mine",
                                     icon_name=self.icon_name, classname=self.classname,
                                     attrs=self.attrs)


class ModelsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_models(request.user)


class AIImagesMenuItem(SubmenuMenuItem):
    def render_component(self, request):
        component = super().render_component(request)
        count = _awaiting_count(request)
        if count:
            component.label = f"{self.label} ({count})"
        return component


@hooks.register("register_admin_menu_item")
def register_ai_images_menu():
    return AIImagesMenuItem(
        _("AI images"),
        Menu(items=[
            GenerateMenuItem(_("Generate new image"), reverse("wagtail_gan_admin:generate"),
                             icon_name="image", order=100),
            JobsMenuItem(_("AI jobs"), reverse("wagtail_gan_jobs:index"), icon_name="resubmit",
                         name="ai-jobs", order=200),
            # IMPROVE_ON_UPLOAD proposals waiting for review.
            MenuItem(_("Suggested improvements"),
                     reverse("wagtail_gan_jobs:index") + "?source=policy&review=mine",
                     icon_name="tick-inverse", name="ai-suggestions", order=250),
            ModelsMenuItem(_("Models"), reverse("wagtail_gan_admin:models"), icon_name="cogs",
                           name="ai-models", order=300),
        ]),
        icon_name="image", name="ai-images", order=310,
    )


class CheckImageMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_check(request.user)


@hooks.register("register_reports_menu_item")
def register_check_image_menu_item():
    return CheckImageMenuItem(
        _("Check an image (AI)"), reverse("wagtail_gan_check_image"), icon_name="image", order=900
    )


hooks.register("register_bulk_action", GenerateVariantBulkAction)


# -- video (wagtail_gan.video) -----------------------------------------------------------------
# Admin URLs under gan/video/, and a small script that adds "Interpolate (AI)" to wagtailmedia's
# video edit page and "Make a clip with its variants" to the image edit page (no template of
# Wagtail's or wagtailmedia's is overridden).


@hooks.register("register_admin_urls")
def register_gan_video_urls():
    return [path("gan/video/", include((video_urls.urlpatterns, "wagtail_gan_video"),
                                       namespace="wagtail_gan_video"))]


@hooks.register("insert_global_admin_js")
def gan_video_buttons():
    return admin_buttons_script()


@hooks.register("register_permissions")
def register_manage_models_permission():
    """ "Can install, verify and remove AI models" in Wagtail's group editor."""
    return Permission.objects.filter(content_type__app_label="wagtail_gan",
                                     codename="manage_models")
