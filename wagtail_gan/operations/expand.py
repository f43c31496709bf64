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

from .base import FormChoice, InvalidSpec, Operation, dummy_entry, parse_int

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
        from PIL import Image as PILImage
        from PIL import ImageFilter

        rgb = image.convert("RGB")
        left, top, right, bottom = padding(params, rgb.size)
        out_w, out_h = rgb.width + left + right, rgb.height + top + bottom
        factor = max(1.0, max(out_w, out_h) / 128)
        small = rgb.resize((max(1, round(rgb.width / factor)), max(1, round(rgb.height / factor))),
                           PILImage.BILINEAR)
        import numpy as np

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
