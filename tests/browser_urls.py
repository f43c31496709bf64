"""URLs for browser tests: the test URLs plus media files (rendition thumbnails), which
``static()`` only serves with DEBUG=True."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from tests.urls import urlpatterns as test_urlpatterns

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    *test_urlpatterns,
]
