"""``restore`` | ``restore-<strength 1..100>``: photo restoration (JPEG artefacts, noise) with
waifu2x's CUNet denoisers (installed offline; the noise level follows the image's JPEG
quality) or a spandrel restoration model such as SCUNet; the strength blends the result with
the input (``restore-50``: half way)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation


class Restore(StrengthOperation):
    name = "restore"
    label = _("Restore photo")
    description = ("Photo restoration: removes JPEG artefacts and noise (waifu2x CUNet, its "
                   "strength chosen from the image's JPEG quality; or SCUNet); optional "
                   "strength 1..100.")
    order = 70
    example = 60
