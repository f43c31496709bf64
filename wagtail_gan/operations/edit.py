"""``edit``: a free-form instruction edit (InstructPix2Pix); the instruction is the prompt."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Operation, dummy_entry


class Edit(Operation):
    name = "edit"
    label = _("Free-form edit (the instruction)")
    description = "Free-form instruction edit (InstructPix2Pix): send an 'instruction'."
    synopsis = "edit"
    order = 80
    strength = None
    needs_instruction = True

    def label_for(self, params):
        return "free-form edit"

    def dummy_models(self):
        return {"dummy_edit": dummy_entry(*self.model_keys(), task="edit")}

    def title_for(self, params):
        prompt = " ".join(str(params.get("prompt") or "").split())
        if not prompt:
            return "free-form edit"
        return f"“{prompt}”" if len(prompt) <= 60 else f"“{prompt[:59]}…”"

    def clean_form(self, choice, data):
        if not (data.get("instruction") or "").strip():
            return {"instruction": str(_("A free-form edit needs an instruction."))}
        return {}


class Generate(Operation):
    """Text-to-image: not a variant of an image (POST generate/, "Generate new image")."""

    name = "generate"
    label = _("Generate new image")
    description = "Text-to-image: POST generate/ with a 'prompt'."
    synopsis = "generate"
    order = 90
    variant = False
    strength = None

    def label_for(self, params):
        return "text-to-image"

    def model_key(self, params):
        # With an input image (``gan_run generate in.jpg``) it is image-to-image.
        return "img2img" if params.get("init_image") else "generate"

    def model_keys(self):
        return ("generate", "img2img")

    def dummy_models(self):
        return {"dummy_generate": dummy_entry(*self.model_keys(), task="generate")}

    def form_choices(self):
        return []
