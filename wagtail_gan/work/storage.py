"""Where job outputs live: the storages of Wagtail's image and rendition models."""

from __future__ import annotations

import logging

from wagtail.images import get_image_model

logger = logging.getLogger(__name__)


def rendition_storage():
    return get_image_model().get_rendition_model()._meta.get_field("file").storage


def delete_files(storage, names) -> None:
    """Best-effort deletion: the rows no longer refer to these files."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # pragma: no cover - best effort
            logger.warning("wagtail-gan: could not delete %s", name, exc_info=True)
