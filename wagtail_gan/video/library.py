"""The media library side of video (wagtailmedia, the ``video`` extra): the Media model and
its permission policy, and adding a finished video as a new Media item with a thumbnail.
Imported by the web tier and the worker; wagtailmedia is imported lazily, so a site without
it gets a clear refusal instead of an ImportError."""

from __future__ import annotations

import io
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.base import ContentFile

from wagtail_gan.exceptions import JobError, NotVisible
from wagtail_gan.permissions import parse_pk

AI_TAG = "ai-generated"
# A media item is visible to a user who may change or delete it (wagtailmedia's listing; its
# chooser also asks "change"): any other is answered exactly like a missing one.
VISIBLE_MEDIA_PERMISSIONS = ["change", "delete"]


def installed() -> bool:
    return apps.is_installed("wagtailmedia")


def media_model():
    if not installed():
        raise JobError("Video needs wagtailmedia: pip install 'wagtail-gan[video]' and add "
                       "\"wagtailmedia\" to INSTALLED_APPS.", None)
    from wagtailmedia.models import get_media_model  # noqa: PLC0415 - the optional video extra

    return get_media_model()


def media_policy():
    media_model()  # a clear JobError, not an ImportError, without wagtailmedia
    from wagtailmedia import get_permission_policy  # noqa: PLC0415 - the optional video extra

    return get_permission_policy()


def visible_media(user):
    """The media items ``user`` can see (the permission policy first: every lookup of a media
    item by id starts here)."""
    return media_policy().instances_user_has_any_permission_for(user, VISIBLE_MEDIA_PERMISSIONS)


def get_video(user, media_id):
    """The library video with that id that ``user`` can see. ``NotVisible`` when there is
    none, or none this user may see (the same message: which ids exist is not theirs to
    learn); ``JobError`` when it is audio."""
    pk = parse_pk(media_id)
    media = visible_media(user).filter(pk=pk).first() if pk is not None and user else None
    if media is None:
        raise NotVisible(f"No media item {media_id} that you can see.", "media")
    if media.type != "video":
        raise JobError(f"“{media.title}” is {media.type}, not a video.", "media")
    return media


def safe_name(title: str, suffix: str = ".mp4") -> str:
    base = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in title[:60]).strip("-")
    return f"{base or 'video'}{suffix}"


def save_video(path: str | Path, *, title: str, collection, user, info: dict, tags=(),
               thumbnail=None):
    """A new video Media item from the file at ``path`` (copied into the media storage)."""
    Media = media_model()
    media = Media(title=title[:255], type="video", collection=collection,
                  uploaded_by_user=user, duration=float(info.get("duration") or 0),
                  width=info.get("width"), height=info.get("height"))
    with open(path, "rb") as fh:
        media.file.save(safe_name(title), File(fh), save=False)
    if thumbnail is not None:
        buf = io.BytesIO()
        thumbnail.convert("RGB").save(buf, "JPEG", quality=85)
        media.thumbnail.save(safe_name(title, ".jpg"), ContentFile(buf.getvalue()), save=False)
    media.save()
    media.tags.add(AI_TAG, *tags)
    return media


def discard(media) -> None:
    """Delete a media item made for a job that was cancelled or failed meanwhile, with its
    files (a late result leaves nothing behind)."""
    files = [f for f in (media.file, getattr(media, "thumbnail", None)) if f]
    for field in files:
        try:
            field.storage.delete(field.name)
        except Exception:  # the row goes anyway; a stray file is only disk space
            pass
    media.delete()
