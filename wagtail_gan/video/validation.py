"""Validating video requests (web tier: no PyAV, no torch). Every refusal is a ``JobError``
with a one-line message and the field it is about; no job row is created on refusal."""

from __future__ import annotations

import math
import re

from django.core.exceptions import PermissionDenied

from wagtail_gan.exceptions import JobError
from wagtail_gan.jobs.validation import check_raster
from wagtail_gan.models_zoo import registry
from wagtail_gan.permissions import check_can_generate_from, is_protected

from . import library, limits

FACTORS = (2, 4)
MODES = ("fps", "slowmo")
ENGINES = ("model", "blend")
MAX_STILLS = 8
DEFAULT_SECONDS, DEFAULT_FPS, DEFAULT_HOLD = 3.0, 24, 0.5


# ASCII digits only (float() also reads "١٢" and "１２", "inf" and "nan"); no exponent.
_NUMBER = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")


def _number(value, kind, field, message):
    """``value`` as ``kind`` (int or float): a finite JSON number or a string of ASCII
    digits; never a boolean (True is 1 to Python). JobError(``message``) otherwise."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise JobError(message, field)
    if kind is int:
        if value != int(value):
            raise JobError(message, field)
        return int(value)
    return float(value)


def clean_factor(value) -> int:
    factor = _number(value if value not in (None, "") else 2, int, "factor",
                     "The factor must be 2 or 4.")
    if factor not in FACTORS:
        raise JobError("The factor must be 2 or 4.", "factor")
    return factor


def clean_mode(value) -> str:
    mode = value or "fps"
    if mode not in MODES:
        raise JobError("The mode must be “fps” (more frames per second) or “slowmo”.", "mode")
    return mode


def clean_engine(value) -> str:
    """``model``, ``blend``, or ``auto``: the model where it is installed, else the blend."""
    engine = value or "model"
    if engine == "auto":
        return "model" if registry.is_available("interpolate") else "blend"
    if engine not in ENGINES:
        raise JobError("The engine must be “model”, “blend” or “auto”.", "engine")
    if engine == "model" and not registry.is_available("interpolate"):
        raise JobError("The frame-interpolation model is not installed on this site "
                       "(manage.py gan_models install rife_v4_6); choose the blend engine.",
                       "engine")
    return engine


def clean_clip(seconds, fps, hold, stills: int | None = None) -> tuple[float, int, float]:
    """The clip's length, rate and hold, checked together: within the site's limits, and
    (for ``stills`` images) long enough to hold each still and move between them."""
    seconds = _number(seconds if seconds not in (None, "") else DEFAULT_SECONDS, float,
                      "seconds", "The length must be a number of seconds.")
    fps = _number(fps if fps not in (None, "") else DEFAULT_FPS, int, "fps",
                  "Frames per second must be a whole number.")
    hold = _number(hold if hold not in (None, "") else DEFAULT_HOLD, float, "hold",
                   "The hold must be a number of seconds.")
    try:
        limits.check_clip(seconds, fps)
    except limits.VideoLimit as exc:
        raise JobError(str(exc), "fps" if "per second" in str(exc) else "seconds") from None
    if hold < 0:
        raise JobError("The hold cannot be negative.", "hold")
    if hold > seconds:
        raise JobError(f"The hold ({hold:g} s per image) is longer than the clip "
                       f"({seconds:g} s).", "hold")
    if stills:
        # as video.timing.stills_plan counts: each still held, at least one frame between
        total, held = round(seconds * fps), round(hold * fps) * stills
        if held + stills - 1 > total:
            need = (held + stills - 1) / fps
            raise JobError(f"{seconds:g} s is too short for {stills} images held {hold:g} s "
                           f"each: make it at least {need:.2f} s or shorten the hold.", "hold")
    return seconds, fps, hold


MAX_TITLE = 255


def clean_title(title) -> str:
    """A clip's title: at most :data:`MAX_TITLE` characters (refused, never cut)."""
    title = str(title or "").strip()
    if len(title) > MAX_TITLE:
        raise JobError(f"The title is {len(title):,} characters long; the limit is "
                       f"{MAX_TITLE}.", "title")
    return title


def check_video_source(user, media) -> None:
    """The user may use this library video, and it is within the site's limits (as far as
    the library knows; the worker checks the file itself)."""
    policy = library.media_policy()
    if user is None or not user.is_authenticated or not policy.user_has_permission_for_instance(
            user, "change", media):
        raise PermissionDenied("You may not make videos from this media item.")
    try:
        limits.check_size(media.width, media.height)
        limits.check_duration(media.duration)
    except limits.VideoLimit as exc:
        raise JobError(str(exc), "media") from None


def check_can_add_media(user, collection) -> None:
    allowed = library.media_policy().collections_user_has_permission_for(user, "add")
    if collection is None or not allowed.filter(pk=collection.pk).exists():
        raise PermissionDenied(f"You may not add media to the collection “{collection}”.")


def check_stills(user, images) -> None:
    if len(images) < 2:
        raise JobError("Choose at least two images for a clip.", "images")
    if len(images) > MAX_STILLS:
        raise JobError(f"A clip takes at most {MAX_STILLS} images.", "images")
    for image in images:
        check_can_generate_from(user, image)
        if is_protected(image):
            raise JobError(f"Images in the collection “{image.collection}” may not be used "
                           "as sources.", "images")
        check_raster(image)
