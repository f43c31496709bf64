"""``upscale-2x`` | ``upscale-4x`` | ``upscale-<model id>``: super-resolution."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from wagtail_gan.models_zoo import registry

from .base import FormChoice, InvalidSpec, Operation, dummy_entry

SCALES = {"2x": 2, "4x": 4}


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
