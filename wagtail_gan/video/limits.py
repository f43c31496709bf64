"""The site's video limits (``WAGTAIL_GAN["MAX_VIDEO_SECONDS"]``, ``["MAX_VIDEO_PIXELS"]``):
checks with one-line refusals, shared by the web tier (before a job is created, from what
the media library knows) and the worker (from the file itself)."""

from __future__ import annotations

import math
from fractions import Fraction

from wagtail_gan.conf import gan_settings

MAX_FPS = 60
MAX_OUTPUT_FPS = 240


class VideoLimit(ValueError):
    """A video or clip beyond the site's limits (nothing is sent to a model)."""


def max_seconds() -> float:
    return float(gan_settings.MAX_VIDEO_SECONDS)


def max_pixels() -> int:
    return int(gan_settings.MAX_VIDEO_PIXELS)


def too_long_message(seconds: float) -> str:
    return (f"The video lasts {seconds:.1f} s; the limit "
            f"(WAGTAIL_GAN['MAX_VIDEO_SECONDS']) is {max_seconds():g} s.")


def check_size(width: int | None, height: int | None) -> None:
    if width and height and width * height > max_pixels():
        raise VideoLimit(f"The video is {width}x{height} = {width * height:,} pixels a frame; "
                         f"the limit (WAGTAIL_GAN['MAX_VIDEO_PIXELS']) is {max_pixels():,}.")


def check_duration(seconds: float | None) -> None:
    if seconds and seconds > max_seconds():
        raise VideoLimit(too_long_message(seconds))


def check_video(info) -> None:
    """Worker side: a probed :class:`~.avio.VideoInfo`."""
    check_size(info.width, info.height)
    check_duration(info.duration)
    if float(info.fps) > MAX_FPS * 2:
        raise VideoLimit(f"The video runs at {float(info.fps):g} frames per second; at most "
                         f"{MAX_FPS * 2} are accepted.")


def max_source_frames(fps: Fraction) -> int:
    """Frames a video within the time limit can have (decoding stops beyond)."""
    return math.ceil(max_seconds() * float(fps)) + 2


def check_clip(seconds: float, fps: int) -> None:
    if not 0 < float(seconds) <= max_seconds():
        raise VideoLimit(f"A clip lasts more than 0 and at most {max_seconds():g} s "
                         "(WAGTAIL_GAN['MAX_VIDEO_SECONDS']).")
    if not 1 <= int(fps) <= MAX_FPS:
        raise VideoLimit(f"Frames per second must be between 1 and {MAX_FPS}.")


def fit_pixels(width: int, height: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled down (keeping the aspect) to the pixel limit."""
    limit = max_pixels()
    if width * height <= limit:
        return width, height
    ratio = math.sqrt(limit / (width * height))
    return max(2, int(width * ratio)), max(2, int(height * ratio))
