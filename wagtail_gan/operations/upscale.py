"""``upscale-2x`` | ``upscale-4x`` | ``upscale-<model id>``: super-resolution."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from wagtail_gan.models_zoo import registry

from .base import FormChoice, InvalidSpec, Operation, dummy_entry
from .vocabulary import Vocabulary

SCALES = {"2x": 2, "4x": 4}


# How editors ask for it (read by wagtail_gan.instructions).
VOCABULARY = Vocabulary(
    words=("upscale", "upsample", "upres", "up res", "uprez", "super resolution", "super res",
           "superresolution", "enlarge", "enlargement", "magnify", "embiggen", "supersize",
           "super size", "blow up", "scale up", "size up", "hi res", "high res", "hires",
           "hi rez", "high resolution", "higher resolution", "high definition", "hi def", "hd",
           "full hd", "ultra hd", "4k", "retina", "more pixel", "megapixel", "pixel density",
           "print quality", "print ready", "dpi", "double", "quadruple", "fourfold",
           "twofold", "resolution", "res"),
    hints=("big", "large", "huge", "massive", "size", "detail", "crisp", "print", "poster",
           "billboard", "small", "tiny", "thumbnail", "zoom in", "enhance", "pixelate",
           "pixel", "low res", "full size", "twice"),
    patterns=(
        r"\b(?:blow|scale|size|bump|crank|beef) {it} up\b",
        r"\bmake {it} (?:\w+ ){0,2}(?:bigger|larger|big|large|huge|massive|hd|high res\w*)\b",
        r"\b(?:twice|two times|four times|[24] ?x) (?:as )?(?:big|large|wide|the size)\b",
        r"\b(?:double|quadruple|increase|raise|boost|bump|improve|enhance|crank|beef|max)"
        r"(?: up| out)? (?:the |its |it )?(?:size|resolution|res|dimensions|pixel)",
        r"\btoo (?:small|tiny|low[- ]res\w*)\b",
        r"\b(?:2|4|two|four) ?(?:x|times) (?:bigger|larger|the size|the resolution)\b",
        # a factor on its own: "2x", "x4", "200%"
        r"(?<![\w.:])(?:[2-9]|1[0-6])[ -]?x(?![\w:])|(?<![\w.])x ?[2-9]\b|\b[24]00 ?%",
    ),
    args=(
        (r"(?<![\w.])(?:2|two)[ -]?(?:x|times)(?!\w)|(?<![\w.])x ?(?:2|two)\b|\bdoubl\w*|\btwice\b"
         r"|\btwo-?fold\b|\b200 ?(?:%|percent)|\bretina\b|@2x|\bby (?:a factor of )?(?:2|two)\b"
         r"|\btimes (?:2|two)\b", "2x"),
        (r"(?<![\w.])(?:4|four)[ -]?(?:x|times)(?!\w)|(?<![\w.])x ?(?:4|four)\b|\bquadrupl\w*"
         r"|\bfour-?fold\b|\b400 ?(?:%|percent)|\bby (?:a factor of )?(?:4|four)\b"
         r"|\btimes (?:4|four)\b", "4x"),
        (r"(?<![\w.])(?:[3-9]|1[0-6]|three|five|six|eight|ten|sixteen) ?(?:x|times)(?!\w)"
         r"|(?<![\w.])x ?[3-9]\b", "4x", "only 2x and 4x exist, so 4x"),
        # "a bit bigger", "bump it up a little": the smaller step
        (r"\b(?:a (?:little|bit|touch)|a little bit|slightly|somewhat|a tad)\b", "2x"),
    ),
    default="4x",
    examples=("upscale 4x", "make it twice as big", "I need a hi-res version for print",
              "blow it up 2x", "double the resolution", "enlarge the photo"),
)


class Upscale(Operation):
    name = "upscale"
    label = _("Upscale")
    description = (
        "Super-resolution: upscale-2x / upscale-4x run the site's default models "
        "(WAGTAIL_GAN['MODELS'] 'default_for'), upscale-<model id> any registered or "
        "dropped-in super-resolution model."
    )
    synopsis = "upscale-2x, upscale-4x, upscale-<model>"
    order = 10
    filter = True
    fallback = "resize"
    fallback_help = ("a Lanczos resize to the final size (unresized for a model with no declared "
                     "scale; the swap then records the model's size)")
    strength = None
    vocabulary = VOCABULARY

    def grammar(self):
        return ["upscale-2x", "upscale-4x"] + [f"upscale-{m}" for m in registry.upscale_model_ids()]

    def _help(self, models) -> str:
        extra = sorted(models or ())
        return "upscale takes 2x, 4x" + (f" or a model id: {', '.join(extra)}" if extra else "")

    def parse(self, args):
        models = set(registry.upscale_model_ids())
        if len(args) != 1 or not args[0]:
            raise InvalidSpec(self._help(models))
        arg = args[0]
        if arg.lower() in SCALES:
            return self.spec({"scale": SCALES[arg.lower()]})
        if registry.MODEL_ID_RE.match(arg) and arg in models:
            return self.spec({"model": arg})
        raise InvalidSpec(f"Unknown upscale model {arg!r}. " + self._help(models))

    def format(self, params):
        if "model" in params:
            return f"upscale-{params['model']}"
        return f"upscale-{params.get('scale', 4)}x"

    def label_for(self, params):
        if "model" in params:
            return f"upscale with {params['model']}"
        return f"upscale {params.get('scale', 4)}x"

    def title_for(self, params):
        if "model" in params:
            return f"upscaled with {params['model']}"
        return f"upscaled {params.get('scale', 4)}×"

    def model_key(self, params):
        return params.get("model") or f"upscale-{params.get('scale', 4)}x"

    def model_keys(self):
        return tuple(f"upscale-{scale}" for scale in SCALES)

    def dummy_models(self):
        return {f"dummy_upscale_x{factor}": dummy_entry(f"upscale-{scale}", task="upscale",
                                                        scale=factor)
                for scale, factor in SCALES.items()}

    def catalog_extras(self):
        return {"upscale_models": registry.upscale_model_ids()}

    def scale(self, params) -> int | None:
        if "scale" in params:
            return params["scale"]
        try:
            return registry.get(params.get("model", "")).scale
        except Exception:
            return None

    def output_size(self, params, size):
        scale = self.scale(params)
        return None if scale is None else (size[0] * scale, size[1] * scale)

    def form_choices(self):
        return [FormChoice("upscale-2x", str(_("Upscale 2×"))),
                FormChoice("upscale-4x", str(_("Upscale 4×")))]

    def form_values(self, spec):
        return {"operation": spec.text} if "scale" in spec.params else {}
