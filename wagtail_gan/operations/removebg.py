"""``removebg`` | ``removebg-<hex colour>``: background removal (rembg, ISNet by default).

``removebg`` makes the background transparent: PNG and WebP outputs keep the alpha channel; a
rendition of a JPEG source is written as PNG (``renditions.model_run.keep_alpha_format``); an
explicit ``format-jpeg`` has no alpha, so Wagtail composites it on white. ``removebg-<hex>``
(``removebg-fff``, ``removebg-1a2b3c``) replaces the background with that colour in every
format, opaque (docs/developer-guide/transparency.md). While the ML rendition is pending,
pages get the unmodified pixels.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import FormChoice, InvalidSpec, Operation
from .vocabulary import Vocabulary

_HEX = re.compile(r"[0-9a-f]{3}|[0-9a-f]{6}")


def normalise_colour(token: str) -> str | None:
    """``fff`` / ``FFFFFF`` / ``#1a2b3c`` -> ``ffffff`` / ``1a2b3c``; None when not a colour."""
    if not isinstance(token, str):
        return None
    token = token.strip().lstrip("#").lower()
    if not _HEX.fullmatch(token):
        return None
    return "".join(c * 2 for c in token) if len(token) == 3 else token


# How editors ask for it (read by wagtail_gan.instructions). A named colour puts the subject
# on that colour ("on white", "make the background black").
VOCABULARY = Vocabulary(
    words=("removebg", "remove bg", "rembg", "remove.bg", "cutout", "cut out", "clipping path",
           "knock out", "isolate", "extract", "silhouette", "transparent",
           "transparency", "see through", "alpha channel", "alpha background",
           "background removal", "background remover", "background removed",
           "background gone", "foreground only", "packshot", "pack shot", "cut away"),
    hints=("subject", "product", "foreground", "png", "catalog", "headshot", "cut", "lift",
           "separate", "backdrop", "background", "float"),
    removes=("background", "backdrop", "surroundings", "scenery behind", "wall behind",
             "everything behind", "everything around", "everything else", "the rest",
             "studio backdrop"),
    # what it makes: "remove the sticker" is not a background removal
    adds=("sticker",),
    patterns=(
        r"\b(?:remove|delete|erase|lose|cut away|get rid of|clear) everything "
        r"(?:except|but|apart from|other than|besides|behind|around|else|(?:that|which) is not)\b",
        r"\b(?:keep |just |only )(?:keep )?(?:only |just )?the (?:subject|product|person|"
        r"foreground|model|logo)\b",
        r"\b(?:everything|whatever|anything|all|stuff|what)(?: that)?(?: is)? (?:behind|around|"
        r"surrounding)\b",
        r"\b(?:only|just) (?:keep )?(?:the|this|that) \w+(?: \w+)?,? (?:and )?(?:nothing else|on "
        r"(?:its|their|his|her) own|by itself|alone)\b",
        r"\b(?:on|onto|against) (?:a |an )?(?:plain |solid |pure |clean |studio )?"
        r"(?:white\b|(?:white|black|gray|light gray|#[0-9a-f]{3,6}) (?:background|backdrop))",
        r"\b(?:put|place|set|stand|sit|drop) (?:\w+ ){1,3}(?:on|onto|against) (?:a |an )?"
        r"(?:plain |solid |pure |clean |studio )?(?:white|black|gray|light gray)\b",
        r"\b(?:make|change|turn|set|replace|swap) the (?:background|backdrop)(?: \w+)? "
        r"(?:to |with |for |into )?(?:a |an |the )?(?:plain |solid |pure )?(?:color )?"
        r"(?:white|black|gray|light gray|red|blue|green|yellow|pink|beige|#[0-9a-f]{3,6})\b",
        r"\b(?:plain|blank|white|transparent|solid) (?:background|backdrop)\b",
        r"\b(?:lift|pull|cut|separate|take) (?:\w+ ){1,3}(?:out of|off|from) the "
        r"(?:background|backdrop|scene)\b",
    ),
    args=tuple(
        (rf"(?<!remove the )(?<!get rid of the )(?<!lose the )\b{name} (?:background|backdrop)\b"
         rf"|\b(?:on|onto|against|to|with|for|into|background|backdrop),? (?:a |an |the )?"
         rf"(?:plain |solid |pure |clean |studio |color )?{name}\b", hex_value)
        for name, hex_value in (
            ("light gray", "d3d3d3"), ("white", "fff"), ("black", "000"), ("gray", "808080"),
            ("red", "f00"), ("blue", "00f"), ("green", "008000"), ("yellow", "ff0"),
            ("pink", "ffc0cb"), ("beige", "f5f5dc"), ("cream", "fffdd0"), ("navy", "000080"),
            ("(#?[0-9a-f]{6}|#[0-9a-f]{3})", "{1}"),
        )
    ) + ((r"\b(?:white it out|catalog)\b", "fff"), (r"\bplain (?:background|backdrop)\b", "fff")),
    examples=("remove the background", "cut out the product", "a transparent background for the shop",
              "put it on a white background", "isolate the bottle", "no background please"),
)


class RemoveBackground(Operation):
    name = "removebg"
    label = _("Remove background")
    description = (
        "Background removal (rembg with an ISNet model): removebg makes the background "
        "transparent (a JPEG source gives a PNG; format-jpeg composites on white); "
        "removebg-<hex colour> puts the subject on that colour."
    )
    synopsis = "removebg[-<hex colour>]"
    order = 40
    filter = True
    strength = None
    vocabulary = VOCABULARY

    def grammar(self):
        return ["removebg", "removebg-<hex colour>"]

    def parse(self, args):
        if not args:
            return self.spec({})
        colour = normalise_colour(args[0]) if len(args) == 1 else None
        if colour is None:
            raise InvalidSpec("removebg takes an optional background colour as 3 or 6 hex "
                              "digits, e.g. removebg-fff or removebg-1a2b3c")
        return self.spec({"background": colour})

    def format(self, params):
        colour = params.get("background")
        return f"removebg-{colour}" if colour else "removebg"

    def label_for(self, params):
        colour = params.get("background")
        return f"remove background (on #{colour})" if colour else "remove background"

    # -- admin form ---------------------------------------------------------------------
    def form_choices(self):
        return [FormChoice("removebg", str(_("Remove background")), ("background_colour",))]

    def form_fields(self):
        return {"background_colour": forms.CharField(
            label=_("Background colour"), required=False, max_length=7,
            help_text=_("Empty: transparent. Or a hex colour such as #ffffff."),
        )}

    def clean_form(self, choice, data):
        value = (data.get("background_colour") or "").strip()
        if value and normalise_colour(value) is None:
            return {"background_colour": str(_("Use a hex colour such as #ffffff."))}
        return {}

    def spec_from_form(self, choice, data):
        colour = normalise_colour(data.get("background_colour") or "")
        return f"removebg-{colour}" if colour else "removebg"

    def form_values(self, spec):
        colour = spec.params.get("background")
        return {"operation": "removebg", "background_colour": f"#{colour}" if colour else ""}
