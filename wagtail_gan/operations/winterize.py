"""``winterize`` | ``winterize-<strength 1..100>``: summer to winter (CycleGAN)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import InvalidSpec, Operation, OperationSpec, parse_int


class Winterize(Operation):
    name = "winterize"
    label = _("Winterize")
    description = "Summer to winter (CycleGAN); optional strength 1..100."
    synopsis = "winterize[-<strength 1..100>]"
    filter = True
    strength = "spec"

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
