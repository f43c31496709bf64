"""``vintage`` | ``vintage-<strength 1..100>``: a modern photo given an old, faded film look
(vintagify's CycleGAN generator, through the same backend as winterize)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .strength import StrengthOperation
from .vocabulary import STRENGTH_ARGS, Vocabulary

_DECADE = (r"\b(?:(?:18|19)[0-9]0s|(?:the )?'?[2-9]0s|(?:the )?(?:twenties|thirties|forties|"
           r"fifties|sixties|seventies|eighties|nineties)|(?:in|from|of) 1[89][0-9]{2})\b")

# How editors ask for it (read by wagtail_gan.instructions).
VOCABULARY = Vocabulary(
    words=("vintagify", "vintagize", "old timey", "old fashioned", "old school",
           "antique", "analog", "analog film", "film look", "film photo", "shot on film",
           "kodachrome", "kodak", "portra", "fujifilm", "polaroid", "instant camera",
           "instant photo", "disposable camera", "lomo", "lomography", "super 8", "8mm",
           "35mm", "nostalgic", "nostalgia", "throwback", "tbt", "daguerreotype",
           "tintype", "cyanotype", "timeworn", "time worn", "weathered", "yellowed",
           "yellowing",
           "vhs", "expired film", "cross processed", "mid century", "last century",
           "olden days", "old postcard", "old slide", "old film", "family album", "photo album",
           "archive photo", "archival", "historic", "historical", "period photo",
           "sepia toned", "sepia tone", "sepia tint", "hipster filter", "faded print",
           "faded film", "aged photo", "age the photo", "old looking"),
    hints=("old", "aged", "age", "faded", "fade", "memory", "film", "sepia", "old photo",
           "old photograph", "old picture", "old print",
           "classic", "period", "ancient", "washed out", "muted", "warm tones"),
    patterns=(
        _DECADE,
        r"\b(?:make|made|look\w*|turn\w*) (?:it |this |them )?(?:look )?(?:like )?(?:an? )?"
        r"(?:old|older|aged|ancient|antique)\b",
        r"\b(?:give|add) (?:it )?(?:some )?age\b",
        r"\blooks? (?:\d+|a hundred|fifty|[a-z]+ty) years old\b",
    ),
    adds=("vintage", "retro", "film grain", "light leak", "grain", "scratch and dust",
          "vintage look", "retro look", "old look", "vintage filter", "vintage effect",
          "vintage feel", "retro feel", "retro vibe", "vintage vibe", "film scratch"),
    args=STRENGTH_ARGS,
    examples=(
        "make it look like an old photo", "give it a vintage film look",
        "retro 70s colours", "like a faded polaroid", "a subtle vintage feel",
        "add film grain and light leaks", "make it look like it was shot on film",
    ),
)


class Vintage(StrengthOperation):
    name = "vintage"
    label = _("Vintage look")
    description = ("Modern photo to an old, faded film look (CycleGAN, vintagify); optional "
                   "strength 1..100.")
    order = 75
    title = "vintage look"
    vocabulary = VOCABULARY
