"""REST API URLs: include with ``path("api/gan/", include("wagtail_gan.api.urls"))``."""

app_name = "wagtail_gan_api"
urlpatterns: list = []
