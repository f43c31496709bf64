"""``expand-<w>x<h>`` | ``expand-square`` | ``expand-left<px>-top<px>-right<px>-bottom<px>``:
outpainting (LaMa fills the new border).

* ``expand-16x9``, ``expand-4x3``, ``expand-9x16``, ``expand-square`` (= ``1x1``): the smallest
  canvas of that aspect ratio that contains the image, the image centred;
* ``expand-left200-right200``, ``expand-top64``: pixels per side (any subset, canonical order
  left, top, right, bottom), what the editor's side fields send.

As a rendition filter (``{% image photo fill-800x800|expand-16x9 %}``, after Wagtail's
resizes) the output size is known from the spec, and while the ML rendition is pending pages
get the image padded with blurred mirrored edges.

The geometry (:func:`padding`) is repeated in ``models_zoo/backends/inpaint.py`` (the worker
package may not import operations); a test checks that they agree.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageFilter

from .base import FormChoice, InvalidSpec, Operation, dummy_entry, parse_int
from .vocabulary import Vocabulary

SIDES = ("left", "top", "right", "bottom")
MAX_RATIO = 32
MAX_SIDE_PX = 4096
PRESETS = ("square", "16x9", "9x16", "4x3", "3x4", "3x2", "2x3", "21x9", "4x5")
_RATIO = re.compile(r"([0-9]{1,2})x([0-9]{1,2})")
_SIDE = re.compile(r"(left|top|right|bottom)([0-9]{1,4})")


def padding(params: dict[str, Any], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixels added to an image of ``size`` for ``params``."""
    if "ratio" in params:
        rw, rh = (int(v) for v in params["ratio"])
        w, h = size
        if w * rh < h * rw:  # too narrow: widen
            extra = math.ceil(h * rw / rh) - w
            return extra // 2, 0, extra - extra // 2, 0
        extra = math.ceil(w * rh / rw) - h
        return 0, extra // 2, 0, extra - extra // 2
    return tuple(int(params.get(side, 0)) for side in SIDES)  # type: ignore[return-value]


# How editors ask for it (read by wagtail_gan.instructions). Parameters: an aspect ratio, the
# sides to extend (pixels or 256 px), wider/taller; otherwise a 256 px border all round.
VOCABULARY = Vocabulary(
    words=("expand", "extend", "outpaint", "outpainting", "uncrop", "un crop", "zoom out",
           "pan out", "pull back", "pull out", "step back", "widen", "widescreen", "panorama",
           "panoramic", "letterbox", "generative fill", "generative expand", "breathing room",
           "headroom", "canvas", "landscape format", "portrait format", "square format",
           "aspect ratio", "beyond the frame", "outside the frame", "beyond the edge",
           "more room", "more space", "wide shot", "wider shot"),
    hints=("wide", "tall", "square", "landscape", "portrait", "vertical", "banner", "border",
           "edge", "side", "pad", "padding", "crop", "tight", "frame", "room", "space",
           "instagram", "story", "stories", "tiktok", "youtube", "sky", "headroom", "left",
           "right", "top", "bottom", "above", "below", "upwards", "downwards"),
    patterns=(
        r"\bmake (?:{it}|the canvas|the frame) (?:\w+ )?(?:wider|taller|square|landscape|"
        r"portrait|vertical|panoramic|widescreen)\b",
        r"\b(?:square {it}(?: up)?|(?:to|into|as) an? square|1 ?: ?1)\b",
        r"\b(?:[1-9]|1[0-9]|2[01]) ?(?::|by|x) ?(?:[1-9]|1[0-9]|2[01])\b",
        r"\b(?:fill in|fill|reveal|show|add) (?:\w+ ){0,3}(?:surroundings|edges|sides|border\w*|"
        r"around|more of the scene|the rest of the scene)\b",
        r"\b(?:more|extra|some) (?:\w+ )?(?:room|space|sky|headroom|floor|ground|foreground)"
        r"(?: \w+){0,2} (?:on|to|at|above|below|around)\b",
        r"\bcropped too (?:tight|close)|\btoo tight(?:ly)?\b|\bbars with scenery\b",
        r"\b\d{1,4} ?(?:px|pixels?) (?:on |to |at |around |of )?(?:(?:each|every|all|both) )?"
        r"(?:sides?|edges?|round|the (?:left|right|top|bottom))\b",
        r"\b(?:phone|mobile) (?:wallpaper|screen|story|format)\b|\b(?:story|stories|reel|"
        r"tiktok|shorts) format\b",
    ),
    args=(
        (r"\b(\d{1,4}) ?(?:px|pixels?) (?:on |to |at |around |of )?(?:every|each|all) (?:sides?|"
         r"round|edges?)", "left{1}-top{1}-right{1}-bottom{1}"),
        (r"\b(\d{1,4}) ?(?:px|pixels?)? border", "left{1}-top{1}-right{1}-bottom{1}"),
        (r"\b(\d{1,4}) ?(?:px|pixels?) (?:on |to |at )?the (left|right|top|bottom) and "
         r"(left|right|top|bottom)", "{2}{1}-{3}{1}"),
        (r"\b(\d{1,4}) ?(?:px|pixels?)? (?:on |to |at )?(?:the )?(left|right|top|bottom)\b",
         "{2}{1}"),
        (r"\b(left|right|top|bottom)(?: side)? (?:by )?(\d{1,4})\b", "{1}{2}"),
        (r"\b(\d{1,2}) ?(?::|x|by|/) ?(\d{1,2})\b(?! ?(?:px|pixels?))", "{1}x{2}"),
        (r"\bsquare\b|\b1 ?: ?1\b", "square"),
        (r"\b(?:both sides|the sides|left and right|right and left|widen on both)\b",
         "left256-right256"),
        (r"\b(?:top and bottom|upwards and downwards|above and below)\b", "top256-bottom256"),
        (r"\b(?:left|leftwards)\b", "left256"),
        (r"\b(?:right|rightwards)\b", "right256"),
        (r"\b(?:top|above|upwards|sky|headroom|overhead)\b", "top256"),
        (r"\b(?:bottom|below|downwards|floor|ground|foreground)\b", "bottom256"),
        (r"\b(?:taller|tall|portrait|vertical|story|stories|tiktok|phone|mobile)\b", "9x16"),
        (r"\b(?:wider|wide|widen|widescreen|landscape|panoram\w*|banner|cinematic|youtube|"
         r"slide|letterbox\w*|bars)\b", "16x9"),
    ),
    default="left256-top256-right256-bottom256",
    examples=("zoom out and fill in the surroundings", "make it square without cropping",
              "extend it to 16:9", "add more sky above", "make it taller for a phone story",
              "uncrop the photo"),
)


class Expand(Operation):
    name = "expand"
    label = _("Expand (outpaint)")
    description = (
        "Extend the picture beyond its edges (LaMa): expand-16x9, expand-4x3, expand-square "
        "... to an aspect ratio, or expand-left<px>-top<px>-right<px>-bottom<px> by pixels."
    )
    synopsis = "expand-<w>x<h> | expand-square | expand[-left<px>][-top<px>][-right<px>][-bottom<px>]"
    order = 60
    filter = True
    fallback_help = "the image padded with blurred mirrored edges, at the final size"
    strength = None
    vocabulary = VOCABULARY

    def grammar(self):
        return [f"expand-{p}" for p in PRESETS] + [
            "expand-<w>x<h>", "expand-left<px>-top<px>-right<px>-bottom<px>"]

    def dummy_models(self):
        return {"dummy_inpaint": dummy_entry(*self.model_keys())}  # shared with erase

    def _help(self) -> str:
        return ("expand takes an aspect ratio (expand-16x9, expand-square, 1..32 per side) or "
                f"pixels per side (expand-left200-right200, up to {MAX_SIDE_PX} each)")

    def parse(self, args):
        if not args or not all(args):
            raise InvalidSpec(self._help())
        if len(args) == 1:
            arg = args[0].lower()
            if arg == "square":
                return self.spec({"ratio": [1, 1]})
            m = _RATIO.fullmatch(arg)
            if m:
                rw, rh = parse_int(m.group(1), 1, MAX_RATIO), parse_int(m.group(2), 1, MAX_RATIO)
                if rw is None or rh is None:
                    raise InvalidSpec(self._help())
                g = math.gcd(rw, rh)
                return self.spec({"ratio": [rw // g, rh // g]})
        sides: dict[str, int] = {}
        for token in args:
            m = _SIDE.fullmatch(token.lower())
            px = parse_int(m.group(2), 0, MAX_SIDE_PX) if m else None
            if m is None or px is None or m.group(1) in sides:
                raise InvalidSpec(f"Bad expand argument {token!r}: " + self._help())
            sides[m.group(1)] = px
        sides = {k: v for k, v in sides.items() if v}
        if not sides:
            raise InvalidSpec("expand needs at least one side with more than 0 pixels")
        return self.spec({side: sides[side] for side in SIDES if side in sides})

    def format(self, params):
        if "ratio" in params:
            rw, rh = params["ratio"]
            return "expand-square" if rw == rh else f"expand-{rw}x{rh}"
        return "-".join(["expand"] + [f"{s}{params[s]}" for s in SIDES if params.get(s)])

    def label_for(self, params):
        if "ratio" in params:
            rw, rh = params["ratio"]
            return "expand to a square" if rw == rh else f"expand to {rw}:{rh}"
        return "expand " + ", ".join(f"{s} {params[s]} px" for s in SIDES if params.get(s))

    def output_size(self, params, size):
        left, top, right, bottom = padding(params, size)
        return size[0] + left + right, size[1] + top + bottom

    def fallback_image(self, image, params, size, *, fast=False):
        """The image padded with its mirrored, blurred edges (cheap: blurred at low
        resolution), the original pixels in place; scaled to ``size``."""
        rgb = image.convert("RGB")
        left, top, right, bottom = padding(params, rgb.size)
        out_w, out_h = rgb.width + left + right, rgb.height + top + bottom
        factor = max(1.0, max(out_w, out_h) / 128)
        small = rgb.resize((max(1, round(rgb.width / factor)), max(1, round(rgb.height / factor))),
                           PILImage.BILINEAR)
        import numpy as np  # noqa: PLC0415 - numpy: the worker has it, the web tier may not

        pads = [round(v / factor) for v in (top, bottom, left, right)]
        arr = np.pad(np.asarray(small), ((pads[0], pads[1]), (pads[2], pads[3]), (0, 0)),
                     mode="symmetric")
        blurred = PILImage.fromarray(arr).filter(ImageFilter.GaussianBlur(3))
        canvas = blurred.resize((out_w, out_h), PILImage.BILINEAR)
        canvas.paste(rgb, (left, top))
        if image.mode in ("RGBA", "LA"):
            alpha = PILImage.new("L", (out_w, out_h), 255)
            alpha.paste(image.getchannel("A"), (left, top))
            canvas.putalpha(alpha)
        if canvas.size != tuple(size):
            canvas = canvas.resize(size, PILImage.BILINEAR if fast else PILImage.LANCZOS)
        return canvas

    # -- admin form ---------------------------------------------------------------------
    def form_choices(self):
        return [
            FormChoice("expand-ratio", str(_("Expand to an aspect ratio")), ("expand_ratio",)),
            FormChoice("expand-sides", str(_("Expand by pixels per side")),
                       tuple(f"expand_{s}" for s in SIDES)),
        ]

    def form_fields(self):
        fields: dict[str, Any] = {"expand_ratio": forms.ChoiceField(
            label=_("Aspect ratio"), required=False,
            choices=[("", "---")] + [(p, p.replace("x", ":")) for p in PRESETS],
        )}
        for side in SIDES:
            fields[f"expand_{side}"] = forms.IntegerField(
                label=f"{side.title()} (px)", required=False, min_value=0,
                max_value=MAX_SIDE_PX)
        return fields

    def spec_from_form(self, choice, data):
        if choice == "expand-ratio":
            return f"expand-{data['expand_ratio']}"
        return self.format({s: data.get(f"expand_{s}") or 0 for s in SIDES})

    def clean_form(self, choice, data):
        if choice == "expand-ratio" and not data.get("expand_ratio"):
            return {"expand_ratio": str(_("Pick an aspect ratio."))}
        if choice == "expand-sides" and not any(data.get(f"expand_{s}") for s in SIDES):
            return {"expand_left": str(_("Give at least one side in pixels."))}
        return {}

    def form_values(self, spec):
        p = spec.params
        if "ratio" in p:
            rw, rh = p["ratio"]
            return {"operation": "expand-ratio",
                    "expand_ratio": "square" if rw == rh else f"{rw}x{rh}"}
        return {"operation": "expand-sides", **{f"expand_{s}": p.get(s, "") for s in SIDES}}
