# wagtail-gan: add to the end of your urls.py (mysite/urls.py in a `wagtail start` project);
# it puts these routes before the catch-all route of Wagtail's pages.
from django.urls import include, path

urlpatterns = [
    # The rendition status endpoint that {% gan_swap_script %} polls.
    path("gan/", include("wagtail_gan.urls")),
    # The REST API (any prefix; every URL it returns is built with reverse()).
    path("api/gan/", include("wagtail_gan.api.urls")),
] + urlpatterns
