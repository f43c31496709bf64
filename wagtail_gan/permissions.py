"""Who may do what: Wagtail's image permission policy, plus wagtail-gan's own rules
(protected collections, job ownership). Used by the admin, the API, jobs and provenance."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .compat import image_permission_policy
from .conf import gan_settings

__all__ = ["image_permission_policy", "check_can_generate_from", "check_can_add_to",
           "collections_user_can_add_to", "is_protected", "can_manage_job", "check_manage"]


def check_can_generate_from(user, image) -> None:
    """PermissionDenied unless ``user`` may change ``image`` (Wagtail's image policy)."""
    if user is None or not user.is_authenticated or image is None:
        raise PermissionDenied("You must be logged in and allowed to edit the source image.")
    if not image_permission_policy().user_has_permission_for_instance(user, "change", image):
        raise PermissionDenied("You may not generate variants of this image.")


def check_can_add_to(user, collection) -> None:
    """PermissionDenied unless ``user`` may add images to ``collection``."""
    if user is None or not user.is_authenticated or collection is None:
        raise PermissionDenied("You may not add images to this collection.")
    allowed = image_permission_policy().collections_user_has_permission_for(user, "add")
    if not allowed.filter(pk=collection.pk).exists():
        raise PermissionDenied(f"You may not add images to the collection “{collection}”.")


def collections_user_can_add_to(user):
    return image_permission_policy().collections_user_has_permission_for(user, "add")


def is_protected(image) -> bool:
    """True when the image sits in a collection listed in ``PROTECTED_COLLECTIONS``."""
    protected = gan_settings.PROTECTED_COLLECTIONS or []
    if not protected or image.collection_id is None:
        return False
    collection = image.collection
    for entry in protected:
        if isinstance(entry, int) or (isinstance(entry, str) and entry.isascii() and entry.isdigit()):
            if int(entry) == collection.pk:
                return True
        elif str(entry).lower() == collection.name.lower():
            return True
    return False


def can_manage_job(user, job) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or job.user_id == user.pk))


def check_manage(user, job) -> None:
    if not can_manage_job(user, job):
        raise PermissionDenied("Only the editor who started this job can change it.")
