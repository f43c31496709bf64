"""Admin forms: "Generate variant", "Generate new image" and the bulk variant action.

The Operation menu and the fields each choice needs come from the operation registry
(``wagtail_gan.operations``): an operation registered there appears here without changes.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from wagtail.models import Collection

from . import operations
from .conf import gan_settings
from .operations import FormChoice, InvalidSpec, Operation, parse_spec
from .permissions import collections_user_can_add_to

# Fields the image panel lays out itself (the style swatches, the painter menu, the chooser,
# erase's painted mask); any other operation field is rendered generically
# (``generic_operation_fields``).
PANEL_LAID_OUT = ("style", "painter", "style_image", "erase_mask_json")


def variant_choices(*, bulk: bool = False) -> list[tuple[Operation, FormChoice]]:
    """(operation, choice) for every enabled variant operation, in registry order."""
    return [
        (op, choice)
        for op in operations.all_operations() if op.variant and op.is_enabled()
        for choice in op.form_choices() if choice.bulk or not bulk
    ]


def choice_specs(op: Operation, choice: FormChoice) -> dict[str, str]:
    """{option value: spec} of the specs a form choice can produce, one per option of its
    first field (a style, a painter; ``""`` for a choice without options). Used to ask the
    registry which of them can run (:func:`unavailable`)."""
    fields = op.form_fields()
    field = fields.get(choice.fields[0]) if choice.fields else None
    if field is None:
        return {"": choice.value}
    if not hasattr(field, "choices"):  # a number, a text: the operation's default model
        return {"": ""}
    if isinstance(field, forms.ModelChoiceField):
        options = [("", _Chosen())]  # any image: the model does not depend on which
    else:
        coerce = getattr(field, "coerce", lambda v: v)
        options = [(str(v), coerce(v)) for v, _label in field.choices if v not in ("", None)]
    out = {}
    for key, value in options:
        try:
            out[key] = op.spec_from_form(choice.value, {choice.fields[0]: value})
        except Exception:  # an operation whose form needs more than one field
            out[key] = ""
    return out


class _Chosen:
    pk = 0


def _spec_available(op: Operation, spec: str) -> bool:
    if not spec:
        return op.is_available()
    try:
        return parse_spec(spec).available
    except InvalidSpec:
        return op.is_available()


def unavailable(choices) -> tuple[set[str], dict[str, set[str]]]:
    """(Operation menu values that cannot run at all, {field: option values that cannot run}):
    the registry's answer to "is its model installed?" for every spec the menu can produce."""
    menu, options = set(), {}
    for op, choice in choices:
        specs = choice_specs(op, choice)
        ok = {key: _spec_available(op, spec) for key, spec in specs.items()}
        if not any(ok.values()):
            menu.add(choice.value)
        elif not all(ok.values()) and choice.fields:
            options.setdefault(choice.fields[0], set()).update(k for k, v in ok.items() if not v)
    return menu, options


def unavailable_message(label) -> str:
    return str(_("“%(label)s” can’t run yet: an administrator must install the AI model it "
                 "needs.") % {"label": label})


class AvailabilitySelect(forms.Select):
    """A menu whose options for models that are not installed are shown, greyed out."""

    def __init__(self, *args, disabled_values=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = set(disabled_values)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
            option["label"] = f"{label} — {_('not installed')}"
        return option


def form_values_for_spec(spec: str) -> dict:
    """Form field values that reproduce an operation spec (used to show an interpretation)."""
    try:
        parsed = parse_spec(spec)
    except InvalidSpec:
        return {}
    return parsed.op.form_values(parsed)


def _limit_length(field, limit: int) -> None:
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = limit


class OperationFieldsMixin:
    """Adds the Operation menu and the operation fields; turns them into a spec string
    (``upscale-4x``, ``stylize-7`` ...)."""

    bulk = False
    empty_choice_label = None  # "From the instruction" on the panel

    def add_operation_fields(self, *, before: str | None = None) -> None:
        self.choices = variant_choices(bulk=self.bulk)
        self.unavailable, self.unavailable_options = unavailable(self.choices)
        self._unavailable_labels = [c.label for _op, c in self.choices
                                    if c.value in self.unavailable]
        if self.bulk:  # the bulk form offers only what can run (the note names the others)
            self.choices = [(op, c) for op, c in self.choices if c.value not in self.unavailable]
        menu = [(c.value, c.label) for _op, c in self.choices]
        if self.empty_choice_label:
            menu.insert(0, ("", self.empty_choice_label))
        fields = {"operation": forms.ChoiceField(label=_("Operation"), choices=menu,
                                                 required=not self.empty_choice_label)}
        fields["operation"].widget = AvailabilitySelect(choices=menu,
                                                        disabled_values=self.unavailable)
        needed = {name for _op, c in self.choices for name in c.fields}
        for op in {id(op): op for op, _c in self.choices}.values():
            for name, field in op.form_fields().items():
                if name in needed:
                    fields[name] = field
                    off = self.unavailable_options.get(name)
                    if off and isinstance(field.widget, forms.Select):
                        field.widget = AvailabilitySelect(choices=field.choices,
                                                          disabled_values=off)
        if not self.empty_choice_label:  # never pre-select something that cannot run
            first = next((c.value for _op, c in self.choices
                          if c.value not in self.unavailable), None)
            fields["operation"].initial = first
        # Keep the declared fields' order, with the operation fields at ``before``.
        ordered = {}
        for name, field in self.fields.items():
            if name == before:
                ordered.update(fields)
            ordered[name] = field
        if before is None:
            ordered.update(fields)
        self.fields = ordered

    def _chosen(self):
        value = self.cleaned_data.get("operation") or ""
        return next(((op, c) for op, c in self.choices if c.value == value), (None, None))

    def operation_spec(self) -> str | None:
        op, choice = self._chosen()
        return op.spec_from_form(choice.value, self.cleaned_data) if op else None

    def operation_inputs(self) -> dict:
        """The inputs beside the spec the chosen operation takes from the form (erase's painted
        mask: ``{"mask": {...}}``), for ``submit_variant_job(**...)``."""
        op, choice = self._chosen()
        inputs_from_form = getattr(op, "inputs_from_form", None)
        return inputs_from_form(choice.value, self.cleaned_data) if inputs_from_form else {}

    def unavailable_labels(self) -> list[str]:
        """Labels of the Operation menu's choices whose model is not installed."""
        return list(self._unavailable_labels)

    def clean(self):
        data = super().clean()
        op, choice = self._chosen()
        if op is not None and choice.value in self.unavailable:
            self.add_error("operation", unavailable_message(choice.label))
            return data
        if op is not None and choice.fields:
            value = data.get(choice.fields[0])
            off = self.unavailable_options.get(choice.fields[0], set())
            if value not in (None, "") and str(value) in off:
                self.add_error(choice.fields[0], unavailable_message(
                    dict(self.fields[choice.fields[0]].choices).get(value, value)))
                return data
        if op is not None:
            for name, message in op.clean_form(choice.value, data).items():
                if name in self.errors:
                    continue  # e.g. an over-long instruction: its own error says it all
                self.add_error(name if name in self.fields else None, message)
        return data

    def strength_fraction(self) -> float | None:
        value = self.cleaned_data.get("strength")
        return None if value in (None, "") else value / 100

    def generic_operation_fields(self):
        """(bound field, "choice choice ...", shown) for operation fields the panel does not
        lay out itself, so a newly registered operation's fields show up too."""
        out = []
        chosen = self["operation"].value() or ""
        for name in self.fields:
            if name in PANEL_LAID_OUT:
                continue
            owners = [c.value for _op, c in self.choices if name in c.fields]
            if owners:
                out.append((self[name], " ".join(owners), chosen in owners))
        return out


class VariantForm(OperationFieldsMixin, forms.Form):
    """The image edit page's "Generate variant" panel. Its ids are prefixed ``gan-`` (the
    names are not): the page already holds Wagtail's own form, whose ``id_collection`` etc.
    must stay unique."""

    empty_choice_label = _("From the instruction")
    AUTO_ID = "gan-%s"

    instruction = forms.CharField(
        label=_("Describe an edit"), required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("e.g. “add snow”, “upscale 4x”, "
                                                                 "“make the sky pink”")}),
        help_text=_("Plain words. The interpretation is shown before you run it."),
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
        kwargs.setdefault("auto_id", self.AUTO_ID)
        super().__init__(*args, **kwargs)
        self.add_operation_fields(before="seed")
        _limit_length(self.fields["instruction"], int(gan_settings.MAX_INSTRUCTION_LENGTH))
        if user is not None:
            self.fields["collection"].queryset = collections_user_can_add_to(user)
        if image is not None and not self.is_bound:
            self.initial.setdefault("collection", image.collection_id)

    def clean(self):
        data = super().clean()
        # (an operation that was chosen but cannot run has its own error, and no other)
        if (not data.get("operation") and not (data.get("instruction") or "").strip()
                and "instruction" not in self.errors and "operation" not in self.errors):
            self.add_error("instruction",
                           _("Describe the edit you want, or choose an operation."))
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
        _limit_length(self.fields["prompt"], int(gan_settings.MAX_INSTRUCTION_LENGTH))
        if user is not None:
            qs = collections_user_can_add_to(user)
            self.fields["collection"].queryset = qs
            first = qs.order_by("path").first()
            if first is not None:
                self.fields["collection"].initial = first.pk


class BulkVariantForm(OperationFieldsMixin, forms.Form):
    """The image listing's bulk "Generate variant": only the operations that can run here; an
    operation's fields (and the instruction, for the free-form edit) are shown only while it
    is chosen, by the panel's ``gan-variant-form`` controller (``bulk_fields``)."""

    bulk = True

    instruction = forms.CharField(label=_("Instruction (free-form edit only)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**63 - 1)
    strength = forms.IntegerField(label=_("Strength (%)"), required=False, min_value=1,
                                  max_value=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_operation_fields(before="instruction")
        if "style" in self.fields:  # a menu in the bulk form, not the panel's swatches
            self.fields["style"].widget = forms.Select(choices=self.fields["style"].choices)
        # operation first, then instruction, the operation's own fields, seed, strength
        names = list(self.fields)
        names.remove("instruction")
        names.insert(1, "instruction")
        self.fields = {name: self.fields[name] for name in names}

    def bulk_fields(self):
        """(bound field, "choice choice ..." that need it or "" for every operation, shown)."""
        chosen = self["operation"].value() or ""
        owners = {"instruction": [c.value for op, c in self.choices
                                  if getattr(op, "needs_instruction", False)]}
        for _op, choice in self.choices:
            for name in choice.fields:
                owners.setdefault(name, []).append(choice.value)
        out = []
        for name in self.fields:
            if name == "operation" or name not in owners:
                out.append((self[name], "", True))
            else:
                out.append((self[name], " ".join(owners[name]), chosen in owners[name]))
        return out
