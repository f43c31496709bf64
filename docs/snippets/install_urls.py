# wagtail-gan: append this to your urls.py (it puts its URLs before Wagtail's catch-all).
from django.urls import include, path

urlpatterns = [
    # the status endpoint that {% gan_swap_script %} polls to swap ML renditions in
    path("gan/", include("wagtail_gan.urls")),
    # the REST API (token auth needs "rest_framework.authtoken" in INSTALLED_APPS)
    path("api/gan/", include("wagtail_gan.api.urls")),
] + urlpatterns
