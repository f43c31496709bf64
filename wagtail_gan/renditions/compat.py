"""The Wagtail internals the rendition machinery relies on, in one place (Wagtail 8.0).

* A ``FilterOperation`` gets neither the spec nor the rendition: ``find_filter_and_image``
  finds the ``Filter.run`` frame that is running it.
* ``{% picture %}`` / ``{% srcset_image %}`` / ``get_renditions`` render in a thread pool
  (``ThreadPoolExecutor``) whose threads have their own DB connections.
* Django's storage names a taken file ``<root>_XXXXXXX.<rest>``: how race-loser files of
  Wagtail's create-then-get_or_create rendition race are recognised.
"""

from __future__ import annotations

import os
import re
import sys
import threading

from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.models import Filter


def find_filter_and_image(max_depth: int = 12):
    """Return (filter, image) of the ``Filter.run`` call that is running this operation.
    Works in Wagtail's rendition thread pool too (the frame is in the same thread)."""
    target = Filter.run.__code__
    frame = sys._getframe(1)
    depth = 0
    while frame is not None and depth < max_depth:
        if frame.f_code is target:
            return frame.f_locals.get("self"), frame.f_locals.get("image")
        frame = frame.f_back
        depth += 1
    return None, None


def in_rendition_pool() -> bool:
    """True in the thread pool of Wagtail's ``create_renditions``."""
    return threading.current_thread().name.startswith("ThreadPoolExecutor")


def rendition_model():
    return get_image_model().get_rendition_model()


def find_rendition(image, filter_spec: str, focal_point_key: str):
    return image.renditions.filter(
        filter_spec=filter_spec, focal_point_key=focal_point_key
    ).first()


def is_referenced(name: str) -> bool:
    return rendition_model().objects.filter(file=name).exists()


def purge_cache_entry(image, filter_spec: str, focal_point_key: str, file_hash: str) -> None:
    Rendition = image.get_rendition_model()
    image.file_hash = file_hash
    Rendition.cache_backend.delete(
        Rendition.construct_cache_key(image, focal_point_key, filter_spec)
    )


STORAGE_SUFFIX = re.compile(r"_[A-Za-z0-9]{7}$")  # what Django's storage adds to a taken name


def without_storage_suffix(root: str) -> str:
    return STORAGE_SUFFIX.sub("", root)


def split_name(name: str) -> tuple[str, str, str]:
    """``images/photo_AbC1234.width-40.png`` -> ("images", "photo_AbC1234", "width-40.png"):
    Django's storage inserts its suffix before the FIRST dot of the file name."""
    directory, base = name.rsplit("/", 1) if "/" in name else ("", name)
    root, _, rest = base.partition(".")
    return directory, root, rest


def join_name(directory: str, root: str, rest: str) -> str:
    base = f"{root}.{rest}" if rest else root
    return f"{directory}/{base}" if directory else base


def canonical_name(image, name: str) -> str:
    """The name Wagtail asked the storage for when it wrote rendition file ``name`` of
    ``image``, before the storage added a ``_XXXXXXX`` suffix because the name was taken.
    Every request that renders the rendition asks for this same name, so the files of the
    requests that lost Wagtail's create-then-get_or_create race (served to their visitors,
    never recorded) are this name with a suffix: ``lookup_keys`` maps them back.

    Wagtail names a rendition ``<image file stem, truncated>.<spec...>.<ext>``; the image's
    own stem can end in a storage suffix (``IMG_1_AbC1234``, a second upload of ``IMG_1``),
    so the suffix is only stripped when the image's stem does not explain it."""
    directory, root, rest = split_name(name)
    stem = os.path.splitext(os.path.basename(image.file.name))[0].partition(".")[0]
    if root and stem.startswith(root):
        return name  # the name as asked for (the stem may be truncated)
    bare = without_storage_suffix(root)
    if bare != root and bare and stem.startswith(bare):
        return join_name(directory, bare, rest)
    return name


def lookup_keys(name: str) -> list[str]:
    """The canonical names a served rendition file name can belong to: itself, and without
    one storage suffix (a race loser's name)."""
    directory, root, rest = split_name(name)
    bare = without_storage_suffix(root)
    return [name] if bare == root or not bare else [name, join_name(directory, bare, rest)]


def is_animated(image, env) -> bool:
    """True for an animated GIF/WebP source (passed through unchanged)."""
    if env.get("original-format") not in ("gif", "webp"):
        return False
    if "gan-animated" not in env:
        try:
            with image.open_file() as fh, PILImage.open(fh) as pil:
                env["gan-animated"] = bool(getattr(pil, "is_animated", False))
        except Exception:  # unreadable: let Wagtail's own error handling deal with it
            env["gan-animated"] = False
    return env["gan-animated"]
