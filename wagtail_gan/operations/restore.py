"""``restore`` | ``restore-<strength 1..100>``: photo restoration (noise, JPEG artefacts, mild
blur) with a spandrel restoration model (SCUNet by default); the strength blends the result
with the input (``restore-50``: half way)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation


class Restore(StrengthOperation):
    name = "restore"
    label = _("Restore photo")
    description = ("Photo restoration: removes noise and JPEG artefacts, reduces blur "
                   "(SCUNet); optional strength 1..100.")
    order = 70
    example = 60
