"""Public (non-admin) URLs: include with ``path("gan/", include("wagtail_gan.urls"))``."""

app_name = "wagtail_gan"
urlpatterns: list = []
