"""Public (non-admin) URLs: include with ``path("gan/", include("wagtail_gan.urls"))``."""

from django.urls import path

from . import views_public

app_name = "wagtail_gan"
urlpatterns: list = [
    path("renditions/status/", views_public.rendition_status, name="rendition_status"),
]
