"""Who may do what: Wagtail's image permission policy, plus wagtail-gan's own rules
(protected collections, job ownership). Used by the admin, the API, jobs and provenance."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .compat import image_permission_policy
from .conf import gan_settings

__all__ = ["image_permission_policy", "check_can_generate_from", "check_can_add_to",
           "collections_user_can_add_to", "is_protected", "can_manage_job", "check_manage",
           "parse_pk", "visible_images", "get_visible_image", "VISIBLE_IMAGE_PERMISSIONS"]

# An image is *visible* to a user when the policy gives any of these on it: the admin's image
# listing (change, delete) or the image chooser (choose). What a user may not see is answered
# exactly like what does not exist (same status, same message): ids are not to be probed.
VISIBLE_IMAGE_PERMISSIONS = ["change", "delete", "choose"]
MAX_PK = 2**63 - 1


def parse_pk(value) -> int | None:
    """A primary key from a URL, a form or a JSON body (1..2**63-1, ASCII digits; no
    booleans), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit():
            return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_PK else None


def visible_images(user):
    """Images the user can see in the admin (listing or chooser): every lookup of an image
    by id starts here."""
    return image_permission_policy().instances_user_has_any_permission_for(
        user, VISIBLE_IMAGE_PERMISSIONS)


def get_visible_image(user, pk):
    """The image with this pk if the user may see it, else None (missing and hidden look
    alike)."""
    pk = parse_pk(pk)
    if pk is None or user is None:
        return None
    return visible_images(user).filter(pk=pk).first()


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
