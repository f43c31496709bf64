"""Willow/Pillow helpers shared by the rendition filters and pools (web tier, no ML)."""

from __future__ import annotations

import io

from PIL import Image as PILImage
from willow.image import WebPImageFile
from willow.plugins.pillow import PillowImage


class FastPillowImage(PillowImage):
    """A Willow image whose encoders skip the slow options (progressive/optimized JPEG,
    optimized PNG). Used for large fallbacks only: they are replaced by the ML rendition."""

    def save_as_jpeg(self, f, quality=85, optimize=False, progressive=False, apply_optimizers=True):
        return PillowImage(self.image).save_as_jpeg(
            f, quality=quality, optimize=False, progressive=False, apply_optimizers=False
        )

    def save_as_png(self, f, optimize=False, apply_optimizers=True):
        return PillowImage(self.image).save_as_png(f, optimize=False, apply_optimizers=False)

    def save_as_webp(self, f, quality=80, lossless=False, apply_optimizers=True):
        image = self.image
        if lossless:
            image.save(f, "WEBP", lossless=True, method=0)
        else:
            image.save(f, "WEBP", quality=quality, method=0)

        return WebPImageFile(f)


def to_pil(willow) -> PILImage.Image:
    if isinstance(willow, PillowImage):
        return willow.image
    buf = io.BytesIO()
    willow.save_as_png(buf)
    buf.seek(0)
    return PILImage.open(buf)
