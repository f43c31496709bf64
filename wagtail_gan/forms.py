"""Admin forms: "Generate variant", "Generate new image" and the bulk variant action."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model
from wagtail.images.widgets import AdminImageChooser
from wagtail.models import Collection

from .conf import gan_settings
from .instructions import painter_choices, style_choices

OPERATION_CHOICES = [
    ("", _("From the instruction")),
    ("upscale-2x", _("Upscale 2×")),
    ("upscale-4x", _("Upscale 4×")),
    ("winterize", _("Winterize")),
    ("stylize", _("Stylize: built-in style")),
    ("painter", _("Stylize: painter")),
    ("style-image", _("Stylize: style of another image")),
    ("edit", _("Free-form edit (the instruction)")),
]
BULK_OPERATION_CHOICES = [c for c in OPERATION_CHOICES if c[0] not in ("", "style-image")]

# operation family of each form choice, for ENABLED_OPERATIONS
_FAMILY = {"upscale-2x": "upscale", "upscale-4x": "upscale", "winterize": "winterize",
           "stylize": "stylize", "painter": "stylize", "style-image": "stylize", "edit": "edit"}


def enabled_choices(choices):
    enabled = set(gan_settings.ENABLED_OPERATIONS or [])
    return [(v, label) for v, label in choices if not v or _FAMILY.get(v) in enabled]


def form_values_for_spec(spec: str) -> dict:
    """Form field values that reproduce an operation spec (used to show an interpretation)."""
    from .specs import InvalidSpec, parse_spec

    try:
        parsed = parse_spec(spec)
    except InvalidSpec:
        return {}
    p = parsed.params
    if parsed.operation == "upscale" and "scale" in p:
        return {"operation": f"upscale-{p['scale']}x"}
    if parsed.operation == "winterize":
        return {"operation": "winterize", "strength": "" if p["strength"] == 100 else p["strength"]}
    if parsed.operation == "stylize":
        if "painter" in p:
            return {"operation": "painter", "painter": p["painter"]}
        if "style_image" in p:
            return {"operation": "style-image", "style_image": p["style_image"]}
        return {"operation": "stylize", "style": str(p["styles"][0])}
    if parsed.operation == "edit":
        return {"operation": "edit"}
    return {}


class OperationFieldsMixin:
    """Turns the operation fields into a spec string (``upscale-4x``, ``stylize-7`` ...)."""

    def operation_spec(self) -> str | None:
        data = self.cleaned_data
        op = data.get("operation") or ""
        if op == "stylize":
            return f"stylize-{data['style']}"
        if op == "painter":
            return f"stylize-{data['painter']}"
        if op == "style-image":
            return f"stylize-image{data['style_image'].pk}"
        return op or None

    def clean(self):
        data = super().clean()
        op = data.get("operation") or ""
        if op == "stylize" and data.get("style") in (None, ""):
            self.add_error("style", _("Pick one of the styles."))
        if op == "painter" and not data.get("painter"):
            self.add_error("painter", _("Pick a painter."))
        if op == "style-image" and not data.get("style_image"):
            self.add_error("style_image", _("Choose the image whose style to use."))
        return data

    def strength_fraction(self) -> float | None:
        value = self.cleaned_data.get("strength")
        return None if value in (None, "") else value / 100


class VariantForm(OperationFieldsMixin, forms.Form):
    instruction = forms.CharField(
        label=_("Describe an edit"), required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("e.g. “add snow”, “upscale 4x”, "
                                                                 "“make the sky pink”")}),
        help_text=_("Plain words. The interpretation is shown before you run it."),
    )
    operation = forms.ChoiceField(label=_("Operation"), choices=OPERATION_CHOICES, required=False)
    style = forms.TypedChoiceField(label=_("Style"), choices=style_choices, coerce=int,
                                   required=False, widget=forms.RadioSelect)
    painter = forms.ChoiceField(label=_("Painter"), choices=[("", "---"), *painter_choices()],
                                required=False)
    style_image = forms.ModelChoiceField(
        label=_("Style of image"), queryset=get_image_model().objects.all(), required=False,
        widget=AdminImageChooser,
    )
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**63 - 1,
                              help_text=_("Optional: the same seed repeats a result."))
    strength = forms.IntegerField(
        label=_("Strength (%)"), required=False, min_value=1, max_value=100,
        help_text=_("Optional: blend the effect with the original (100 = full effect)."),
    )
    collection = forms.ModelChoiceField(label=_("Save into collection"),
                                        queryset=Collection.objects.none(), required=False)

    def __init__(self, *args, user=None, image=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .permissions import collections_user_can_add_to

        limit = int(gan_settings.MAX_INSTRUCTION_LENGTH)
        self.fields["instruction"].max_length = limit
        self.fields["instruction"].validators.append(MaxLengthValidator(limit))
        self.fields["instruction"].widget.attrs["maxlength"] = limit
        self.fields["operation"].choices = enabled_choices(OPERATION_CHOICES)
        if user is not None:
            self.fields["collection"].queryset = collections_user_can_add_to(user)
        if image is not None and not self.is_bound:
            self.initial.setdefault("collection", image.collection_id)

    def clean(self):
        data = super().clean()
        if not data.get("operation") and not (data.get("instruction") or "").strip():
            self.add_error("instruction",
                           _("Describe the edit you want, or choose an operation."))
        if data.get("operation") == "edit" and not (data.get("instruction") or "").strip():
            self.add_error("instruction", _("A free-form edit needs an instruction."))
        return data


class InterpretForm(forms.Form):
    instruction = forms.CharField(required=True, strip=True)


class GenerateImageForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Describe the image you want."))
    collection = forms.ModelChoiceField(label=_("Collection"), queryset=Collection.objects.none())
    count = forms.TypedChoiceField(label=_("Candidates"), choices=[(i, i) for i in range(1, 5)],
                                   coerce=int, initial=1,
                                   help_text=_("You keep one of them."))
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**63 - 1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .permissions import collections_user_can_add_to

        limit = int(gan_settings.MAX_INSTRUCTION_LENGTH)
        self.fields["prompt"].max_length = limit
        self.fields["prompt"].validators.append(MaxLengthValidator(limit))
        self.fields["prompt"].widget.attrs["maxlength"] = limit
        if user is not None:
            qs = collections_user_can_add_to(user)
            self.fields["collection"].queryset = qs
            first = qs.order_by("path").first()
            if first is not None:
                self.fields["collection"].initial = first.pk


class BulkVariantForm(OperationFieldsMixin, forms.Form):
    operation = forms.ChoiceField(label=_("Operation"), choices=BULK_OPERATION_CHOICES)
    instruction = forms.CharField(label=_("Instruction (free-form edit only)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    style = forms.TypedChoiceField(label=_("Style"), choices=style_choices, coerce=int,
                                   required=False)
    painter = forms.ChoiceField(label=_("Painter"), choices=[("", "---"), *painter_choices()],
                                required=False)
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**63 - 1)
    strength = forms.IntegerField(label=_("Strength (%)"), required=False, min_value=1,
                                  max_value=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].choices = enabled_choices(BULK_OPERATION_CHOICES)

    def clean(self):
        data = super().clean()
        if data.get("operation") == "edit" and not (data.get("instruction") or "").strip():
            self.add_error("instruction", _("A free-form edit needs an instruction."))
        return data
