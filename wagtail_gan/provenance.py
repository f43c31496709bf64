"""Provenance of generated outputs (worker side, torch-free).

``finalize_output`` turns a generated PIL image into the bytes stored for it. The job runner
calls it for every output.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image


def finalize_output(image: Image.Image, *, job: Any, index: int = 0) -> tuple[bytes, str]:
    """Encode a generated image for storage; returns (file bytes, extension without dot).

    Images with transparency are stored as PNG, everything else as high-quality JPEG.
    """
    buf = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image.convert("RGBA").save(buf, "PNG", optimize=False)
        return buf.getvalue(), "png"
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue(), "jpg"
