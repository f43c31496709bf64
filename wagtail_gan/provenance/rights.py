"""Rights of generated images: the source's rights fields, copied to variants and summarised
for the admin and the API, and the collections that may not be used as sources."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied

from ..conf import gan_settings
from ..models_zoo import registry
from ..permissions import is_protected, visible_images


def _rights_fields(model_or_instance: Any) -> list[str]:
    names = []
    meta = getattr(model_or_instance, "_meta", None)
    if meta is None:
        return names
    for name in gan_settings.RIGHTS_FIELDS or []:
        try:
            f = meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(f, "concrete", False) and not f.is_relation:
            names.append(name)
    return names


def source_rights(source: Any) -> dict[str, Any]:
    """Values of the source's rights fields (``RIGHTS_FIELDS`` the image model has)."""
    if source is None:
        return {}
    return {
        name: getattr(source, name) for name in _rights_fields(source)
        if getattr(source, name) not in (None, "")
    }


def copy_rights(source: Any, target: Any) -> list[str]:
    """Copy rights fields (copyright, credit, licence...) from ``source`` to ``target`` where
    both image models have them and the target's is empty. Returns the names copied.
    Does not save ``target``."""
    if source is None:
        return []
    copied = []
    target_fields = set(_rights_fields(target))
    for name, value in source_rights(source).items():
        if name in target_fields and getattr(target, name) in (None, ""):
            setattr(target, name, value)
            copied.append(name)
    return copied


HIDDEN_SOURCE = "an image that was deleted or that you cannot see"


def rights_summary(variant: Any, user: Any = None) -> dict[str, Any]:
    """What the admin and the API show about a variant's rights.

    ``{"derived_from": {"id", "title", "exists"} | None, "statement": str,
    "rights": {field: value}, "model": {"id", "sha256", "licence"}}``

    With a ``user`` (not a superuser), a source that user may not see and a deleted source are
    said exactly alike: no id, no title, no rights values, only that there is a source whose
    rights apply (a deleted source's recorded title is withheld too: who could see it can no
    longer be checked, and showing it would tell the two apart).
    """
    source = variant.source_image if getattr(variant, "source_image_id", None) else None
    model = {"id": variant.model_id, "sha256": variant.model_sha256, "licence": _licence(variant.model_id)}
    derived = variant.source_image_pk is not None or source is not None
    if user is not None and not user.is_superuser and derived and (
            source is None or not visible_images(user).filter(pk=source.pk).exists()):
        return {
            "derived_from": {"id": None, "title": HIDDEN_SOURCE, "exists": False},
            "statement": f"Derived from {HIDDEN_SOURCE}; the source's rights apply.",
            "rights": {}, "model": model,
        }
    if variant.source_image_pk is None and source is None:
        statement = "Generated from a text prompt"
        if variant.model_id:
            statement += f" by {variant.model_id}"
        if model["licence"]:
            statement += f"; model licence: {model['licence']}"
        return {"derived_from": None, "statement": statement + ".", "rights": {}, "model": model}
    title = source.title if source is not None else (variant.source_title or "a deleted image")
    statement = f"Derived from “{title}”; the source's rights apply."
    if source is None:
        statement += " (The source image has since been deleted.)"
    return {
        "derived_from": {
            "id": source.pk if source is not None else variant.source_image_pk,
            "title": title,
            "exists": source is not None,
        },
        "statement": statement,
        "rights": source_rights(source),
        "model": model,
    }


def _licence(model_id: str) -> str:
    if not model_id:
        return ""
    try:
        return registry.get(model_id).licence
    except Exception:  # unknown or site-removed model: the record still stands
        return ""


def check_source_not_protected(image: Any) -> None:
    """PermissionDenied when ``image`` sits in a collection listed in
    ``WAGTAIL_GAN["PROTECTED_COLLECTIONS"]`` (licensed stock, for example)."""
    if image is not None and is_protected(image):
        raise PermissionDenied(
            f"Images in the collection “{image.collection}” may not be used as sources "
            "for AI variants (WAGTAIL_GAN PROTECTED_COLLECTIONS)."
        )
