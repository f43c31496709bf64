"""``vintage`` | ``vintage-<strength 1..100>``: a modern photo given an old, faded film look
(vintagify's CycleGAN generator, through the same backend as winterize)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import InvalidSpec, Operation, OperationSpec, parse_int


class Vintage(Operation):
    name = "vintage"
    label = _("Vintage look")
    description = ("Modern photo to an old, faded film look (CycleGAN, vintagify); optional "
                   "strength 1..100.")
    synopsis = "vintage[-<strength 1..100>]"
    filter = True
    strength = "spec"
    # Plain words that ask for it (for the instruction router, issue 18).
    phrases = ("make it look old", "vintage", "retro film", "old photo", "film look")

    def grammar(self):
        return ["vintage", "vintage-<1..100>"]

    def parse(self, args):
        if not args:
            return self.spec({"strength": 100})
        strength = parse_int(args[0], 1, 100) if len(args) == 1 else None
        if strength is None:
            raise InvalidSpec("vintage takes an optional strength 1..100, e.g. vintage-70")
        return self.spec({"strength": strength})

    def format(self, params):
        strength = int(params.get("strength", 100))
        return "vintage" if strength == 100 else f"vintage-{strength}"

    def label_for(self, params):
        strength = int(params.get("strength", 100))
        return "vintage" if strength == 100 else f"vintage ({strength} %)"

    def title_for(self, params):
        strength = int(params.get("strength", 100))
        return "vintage look" if strength == 100 else f"vintage look ({strength} %)"

    def with_strength(self, spec, strength):
        return self.spec({"strength": max(1, min(100, round(strength * 100)))})

    def form_values(self, spec: OperationSpec):
        strength = spec.params.get("strength", 100)
        return {"operation": "vintage", "strength": "" if strength == 100 else strength}
