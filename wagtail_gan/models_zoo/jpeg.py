"""JPEG quality estimated from a file's quantisation tables (pure Pillow, torch-free).

Used by the worker (``restore`` picks its denoising strength from it, see
``backends/waifu2x.py``) and by the web tier's improve-on-upload rules (``jobs.policy``
re-exports :func:`jpeg_quality`).
"""

from __future__ import annotations

# The IJG standard luminance quantisation table (quality 50).
_IJG_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)


def jpeg_quality(pil) -> int | None:
    """Estimated IJG quality (1..100) of a JPEG from its luminance quantisation table, or
    None for other formats (and for images that are no longer the decoded file: a resized
    or converted copy has no tables). The table is the standard one scaled by 5000/q
    (q < 50) or 200 - 2q (q >= 50), so the mean ratio to the standard table gives q back."""
    tables = getattr(pil, "quantization", None) or {}
    luma = tables.get(0)
    if not luma or len(luma) != 64:
        return None
    ratio = sum(luma) / sum(_IJG_LUMA) * 100  # the IJG "scale" in percent (order-free)
    quality = (200 - ratio) / 2 if ratio <= 100 else 5000 / ratio
    return max(1, min(100, round(quality)))
