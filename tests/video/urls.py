"""The test URLs plus the video API (the line wagtail_gan/api/urls.py would add)."""

from django.urls import include, path

from tests.urls import urlpatterns as base

urlpatterns = [path("api/gan/video/", include("wagtail_gan.video.api")), *base]
