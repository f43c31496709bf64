"""``restore`` | ``restore-<strength 1..100>``: photo restoration (JPEG artefacts, noise) with
waifu2x's CUNet denoisers (installed offline; the noise level follows the image's JPEG
quality) or a spandrel restoration model such as SCUNet; the strength blends the result with
the input (``restore-50``: half way)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation
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


class Restore(StrengthOperation):
    name = "restore"
    label = _("Restore photo")
    description = ("Photo restoration: removes JPEG artefacts and noise (waifu2x CUNet, its "
                   "strength chosen from the image's JPEG quality; or SCUNet); optional "
                   "strength 1..100.")
    order = 70
    example = 60
    vocabulary = VOCABULARY
