"""``restore`` | ``restore-<strength 1..100>``: photo restoration (noise, JPEG artefacts, mild
blur) with a spandrel restoration model (SCUNet by default); the strength blends the result
with the input (``restore-50``: half way)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import InvalidSpec, Operation, parse_int
from .vocabulary import STRENGTH_ARGS, Vocabulary

# How editors ask for it (read by wagtail_gan.instructions).
VOCABULARY = Vocabulary(
    words=("restore", "restoration", "denoise", "de noise", "noise reduction", "degrain",
           "de grain", "deblur", "de blur", "unblur", "dejpeg", "de jpeg", "remaster",
           "defuzz", "repair", "revive", "un age"),
    hints=("fix", "clean", "clean up", "sharpen", "sharp", "clear", "clarity", "crisp",
           "focus", "quality", "enhance", "damage", "damaged", "scan", "legible", "readable",
           "muddy", "smudge", "soft", "detail", "tidy", "old photo", "old picture",
           "old scan", "faded"),
    removes=("noise", "grain", "graininess", "grainy ness", "speckle", "speckling",
             "artifact", "compression", "blockiness", "block", "banding", "blur",
             "blurriness", "fuzz", "fuzziness", "scratch", "dust", "speck", "crease",
             "fold line", "tear", "water damage", "camera shake", "motion blur",
             "mosquito noise", "jpeg", "pixelation", "damage", "smudginess"),
    patterns=(r"\bbring (?:back|out) the detail", r"\brecover the detail",
              r"\b(?:fix|improve|enhance|better) (?:the )?(?:image |photo |picture )?"
              r"(?:quality|clarity)\b", r"\bbetter quality\b", r"\bout[- ]of[- ]focus\b",
              r"\b(?:bring|back) (?:\w+ ){0,3}to life\b", r"\blook (?:like )?new again\b"),
    args=STRENGTH_ARGS,
    examples=("restore this old photo", "fix the JPEG artefacts", "remove the noise",
              "it's blurry, sharpen it", "remove dust and scratches from the scan"),
)


class Restore(Operation):
    name = "restore"
    label = _("Restore photo")
    description = ("Photo restoration: removes noise and JPEG artefacts, reduces blur "
                   "(SCUNet); optional strength 1..100.")
    synopsis = "restore[-<strength 1..100>]"
    filter = True
    strength = "spec"
    vocabulary = VOCABULARY

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
