"""``vintage`` | ``vintage-<strength 1..100>``: a modern photo given an old, faded film look
(vintagify's CycleGAN generator, through the same backend as winterize)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation


class Vintage(StrengthOperation):
    name = "vintage"
    label = _("Vintage look")
    description = ("Modern photo to an old, faded film look (CycleGAN, vintagify); optional "
                   "strength 1..100.")
    order = 75
    title = "vintage look"
    # Plain words that ask for it (for the instruction router).
    phrases = ("make it look old", "vintage", "retro film", "old photo", "film look")
