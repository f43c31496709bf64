"""``winterize`` | ``winterize-<strength 1..100>``: summer to winter (CycleGAN)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import InvalidSpec, Operation, OperationSpec, parse_int
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


class Winterize(Operation):
    name = "winterize"
    label = _("Winterize")
    description = "Summer to winter (CycleGAN); optional strength 1..100."
    synopsis = "winterize[-<strength 1..100>]"
    filter = True
    strength = "spec"
    vocabulary = VOCABULARY

    def grammar(self):
        return ["winterize", "winterize-<1..100>"]

    def parse(self, args):
        if not args:
            return self.spec({"strength": 100})
        strength = parse_int(args[0], 1, 100) if len(args) == 1 else None
        if strength is None:
            raise InvalidSpec("winterize takes an optional strength 1..100, e.g. winterize-70")
        return self.spec({"strength": strength})

    def format(self, params):
        strength = int(params.get("strength", 100))
        return "winterize" if strength == 100 else f"winterize-{strength}"

    def label_for(self, params):
        strength = int(params.get("strength", 100))
        return "winterize" if strength == 100 else f"winterize ({strength} %)"

    def title_for(self, params):
        strength = int(params.get("strength", 100))
        return "winter" if strength == 100 else f"winter ({strength} %)"

    def with_strength(self, spec, strength):
        # winterize's own strength is the spec's 1..100
        return self.spec({"strength": max(1, round(strength * 100))})

    def form_values(self, spec: OperationSpec):
        strength = spec.params.get("strength", 100)
        return {"operation": "winterize", "strength": "" if strength == 100 else strength}
