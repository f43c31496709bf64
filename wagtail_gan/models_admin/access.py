"""Who may install, verify and remove models (web tier: no ML imports)."""

from __future__ import annotations

from django.urls import reverse

PERMISSION = "wagtail_gan.manage_models"


def can_manage_models(user) -> bool:
    """Superusers, and users (or groups) granted "Can install, verify and remove AI models"."""
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.has_perm(PERMISSION)))


def models_url() -> str:
    return reverse("wagtail_gan_admin:models")
