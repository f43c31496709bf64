"""``winterize`` | ``winterize-<strength 1..100>``: summer to winter (CycleGAN)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation


class Winterize(StrengthOperation):
    name = "winterize"
    label = _("Winterize")
    description = "Summer to winter (CycleGAN); optional strength 1..100."
    order = 20
    title = "winter"
