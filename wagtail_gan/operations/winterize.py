"""``winterize`` | ``winterize-<strength 1..100>``: summer to winter (CycleGAN)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation
from .vocabulary import STRENGTH_ARGS, Vocabulary

# How editors ask for it (read by wagtail_gan.instructions).
VOCABULARY = Vocabulary(
    words=("winterize", "snowify", "winterify", "snowfall", "snowflake", "snowstorm",
           "blizzard", "snowed in", "snow covered", "snowcapped", "snow capped", "hoarfrost",
           "rime", "icicle", "iced over", "sub zero", "arctic", "december", "january",
           "february", "christmassy", "yuletide", "white christmas", "ski season",
           "cold snap", "winter wonderland", "midwinter", "wintertide", "north pole",
           "freezing", "freeze"),
    hints=("cold", "chilly", "christmas", "festive", "season", "holiday", "ski",
           "alpine", "siberia", "scandinavian"),
    adds=("snow", "winter", "frost", "ice", "frozen", "blizzard", "icicle"),
    args=STRENGTH_ARGS,
    examples=("add some snow", "turn the summer scene into a winter one", "a light dusting of snow",
              "cover the hills in snow", "make it feel like December", "frosty morning"),
)


class Winterize(StrengthOperation):
    name = "winterize"
    label = _("Winterize")
    description = "Summer to winter (CycleGAN); optional strength 1..100."
    order = 20
    title = "winter"
    vocabulary = VOCABULARY
