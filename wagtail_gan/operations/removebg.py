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

_HEX = re.compile(r"[0-9a-f]{3}|[0-9a-f]{6}")


def normalise_colour(token: str) -> str | None:
    """``fff`` / ``FFFFFF`` / ``#1a2b3c`` -> ``ffffff`` / ``1a2b3c``; None when not a colour."""
    if not isinstance(token, str):
        return None
    token = token.strip().lstrip("#").lower()
    if not _HEX.fullmatch(token):
        return None
    return "".join(c * 2 for c in token) if len(token) == 3 else token


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
