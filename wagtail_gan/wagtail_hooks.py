"""Every Wagtail hook of wagtail-gan, in one place: image operations (rendition filters and
pool slots), admin URLs, menus, viewsets and the bulk action."""

from __future__ import annotations

import json

from django.contrib.auth.models import Permission
from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import operations
from .conf import gan_settings
from .models_admin.access import can_manage_models
from .permissions import image_permission_policy
from .pools.operation import OPERATIONS as POOL_OPERATIONS
from .provenance.views import CheckImageView, user_can_check
from .renditions.filters import filter_operations
from .video import library as video_library
from .video import urls as video_urls
from .video.views import edit_page_buttons
from .views import admin_urls
from .views.bulk import GenerateVariantBulkAction
from .views.job_bulk import DiscardJobsBulkAction, KeepJobsBulkAction
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
        # Wagtail's own image permission check (as its Images menu item): the permissions it
        # has already loaded for this request, no query of ours.
        return (operations.get("generate").is_available()
                and image_permission_policy().user_has_permission(request.user, "add"))


class VideoJobsMenuItem(MenuItem):
    """The AI jobs listing filtered to video jobs, where video is installed (wagtailmedia)."""

    def is_shown(self, request):
        return video_library.installed()


class SuggestionsMenuItem(MenuItem):
    """Only where IMPROVE_ON_UPLOAD proposes variants: otherwise it would always be empty."""

    def is_shown(self, request):
        return bool(gan_settings.IMPROVE_ON_UPLOAD)


class ModelsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_models(request.user)


# The menu adds no query to admin pages: the number of results waiting for the user's review
# is fetched after the page has loaded by the global admin script (views/menu.py), which
# appends it to the items marked data-gan-menu.
@hooks.register("register_admin_menu_item")
def register_ai_images_menu():
    jobs_url = reverse("wagtail_gan_jobs:index")
    return SubmenuMenuItem(
        _("AI images"),
        Menu(items=[
            GenerateMenuItem(_("Generate new image"), reverse("wagtail_gan_admin:generate"),
                             icon_name="image", order=100),
            # Image and video jobs (a Type filter tells them apart).
            MenuItem(_("AI jobs"), jobs_url, icon_name="resubmit", name="ai-jobs", order=200),
            VideoJobsMenuItem(_("Video jobs"), jobs_url + "?type=video", icon_name="media",
                              name="ai-video-jobs", order=205),
            # The user's results waiting to be kept or discarded.
            MenuItem(_("Results to review"), jobs_url + "?review=mine", icon_name="tick",
                     name="ai-to-review", order=210, attrs={"data-gan-menu": "to-review"}),
            # IMPROVE_ON_UPLOAD proposals waiting for review.
            SuggestionsMenuItem(_("Suggested improvements"), jobs_url + "?source=policy&review=mine",
                                icon_name="tick-inverse", name="ai-suggestions", order=250),
            ModelsMenuItem(_("Models"), reverse("wagtail_gan_admin:models"), icon_name="cogs",
                           name="ai-models", order=300),
        ]),
        icon_name="image", name="ai-images", order=310, attrs={"data-gan-menu": "ai-images"},
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
# Keep / Discard several results at once on the AI jobs listing.
hooks.register("register_bulk_action", KeepJobsBulkAction)
hooks.register("register_bulk_action", DiscardJobsBulkAction)


# -- video (wagtail_gan.video) -----------------------------------------------------------------
# Admin URLs under gan/video/, and a small static script that adds "Interpolate (AI)" to
# wagtailmedia's video edit page and "Make a clip with its variants" to the image edit page
# when wagtailmedia is installed (no template of Wagtail's or wagtailmedia's is overridden).


@hooks.register("register_admin_urls")
def register_gan_video_urls():
    return [path("gan/video/", include((video_urls.urlpatterns, "wagtail_gan_video"),
                                       namespace="wagtail_gan_video"))]


@hooks.register("insert_global_admin_js")
def gan_global_admin_js():
    """A static script (no inline script: a strict CSP lets it run) with its data in a data-*
    attribute, as Wagtail's own icons.js: the count of results to review in the menu, the
    video buttons on edit pages."""
    config = {"awaiting": reverse("wagtail_gan_admin:awaiting"), **edit_page_buttons()}
    return format_html('<script src="{}" data-gan-config="{}" defer></script>',
                       static("wagtail_gan/js/gan-admin-global.js"), json.dumps(config))


@hooks.register("register_permissions")
def register_manage_models_permission():
    """ "Can install, verify and remove AI models" in Wagtail's group editor."""
    return Permission.objects.filter(content_type__app_label="wagtail_gan",
                                     codename="manage_models")
