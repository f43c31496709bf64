"""Authentication and permissions for the REST API.

They mirror the Wagtail admin exactly:

* every endpoint needs an authenticated user who may use the admin
  (``wagtailadmin.access_admin``; superusers always may);
* an image is *visible* when the image permission policy gives the user any of
  ``change``, ``delete`` (the admin's image listing) or ``choose`` (the image chooser) on it
  (``wagtail_gan.permissions.visible_images``); an invisible image is answered with 404,
  exactly like a missing one;
* generating from an image needs ``change`` on it (``check_can_generate_from``) -> 403; a
  target collection is looked up among those where the user may ``add`` images, so one they
  may not add to is refused exactly like a missing one (400).
"""

from __future__ import annotations

from django.apps import apps
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission

from wagtail_gan.models import GenerationJob
from wagtail_gan.permissions import (  # noqa: F401 - the API's names for them
    get_visible_image,
    parse_pk,
    visible_images,
)


class AdminSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (with its CSRF check) that answers an anonymous request
    with 401, as the API documents, when it is the only scheme: DRF gives 403 when the first
    authenticator names no ``WWW-Authenticate`` challenge."""

    def authenticate_header(self, request) -> str:
        return 'Session realm="wagtail-gan"'


class AdminSessionScheme(SessionScheme):
    """The OpenAPI schema describes it as DRF's session scheme (cookieAuth)."""

    target_class = AdminSessionAuthentication


def authenticators() -> list:
    """Token first (so anonymous requests get 401 with ``WWW-Authenticate: Token``), then session.

    Token authentication is only offered when ``rest_framework.authtoken`` is installed;
    without it anonymous requests still get 401 (``WWW-Authenticate: Session``).
    """
    classes = []
    if apps.is_installed("rest_framework.authtoken"):
        classes.append(TokenAuthentication())
    classes.append(AdminSessionAuthentication())
    return classes


class IsWagtailEditor(BasePermission):
    """Authenticated users allowed into the Wagtail admin."""

    message = "You need permission to access the Wagtail admin to use this API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        return user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def visible_jobs(user, queryset=None):
    """Generation jobs a user may follow: their own; superusers see all."""
    qs = GenerationJob.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return qs
    return qs.filter(user=user)
