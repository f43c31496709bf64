"""``restore`` | ``restore-<strength 1..100>``: photo restoration (JPEG artefacts, noise) with
waifu2x's CUNet denoisers (installed offline; the noise level follows the image's JPEG
quality) or a spandrel restoration model such as SCUNet; the strength blends the result with
the input (``restore-50``: half way)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import InvalidSpec, Operation, parse_int


class Restore(Operation):
    name = "restore"
    label = _("Restore photo")
    description = ("Photo restoration: removes JPEG artefacts and noise (waifu2x CUNet, its "
                   "strength chosen from the image's JPEG quality; or SCUNet); optional "
                   "strength 1..100.")
    synopsis = "restore[-<strength 1..100>]"
    filter = True
    strength = "spec"

    def grammar(self):
        return ["restore", "restore-<1..100>"]

    def parse(self, args):
        if not args:
            return self.spec({"strength": 100})
        strength = parse_int(args[0], 1, 100) if len(args) == 1 else None
        if strength is None:
            raise InvalidSpec("restore takes an optional strength 1..100, e.g. restore-60")
        return self.spec({"strength": strength})

    def format(self, params):
        strength = int(params.get("strength", 100))
        return "restore" if strength == 100 else f"restore-{strength}"

    def label_for(self, params):
        strength = int(params.get("strength", 100))
        return "restore" if strength == 100 else f"restore ({strength} %)"

    def with_strength(self, spec, strength):
        return self.spec({"strength": max(1, min(100, round(strength * 100)))})

    def form_values(self, spec):
        strength = spec.params.get("strength", 100)
        return {"operation": "restore", "strength": "" if strength == 100 else strength}
