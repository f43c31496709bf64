"""What an operation is: one object that declares its grammar, validation messages, admin form
fields, API help, web fallback, models, availability, instruction vocabulary and test dummy
models. Everything else derives from it: rendition filters (``renditions.filters``), the admin
forms (``forms``), the API catalog (``api.catalog``), instruction plans (``instructions``), the
docs tables (``operations.docs``) and the test suite's dummy models (``registry.dummy_models``).

Web tier: no ML imports. The worker receives ``spec.model_key`` and ``spec.params`` and runs
the model through ``models_zoo.engine``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image as PILImage

from wagtail_gan.conf import gan_settings
from wagtail_gan.models_zoo import registry

# ASCII digits only: str.isdigit() is also true for "③" and "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]{1,9}")


class InvalidSpec(ValueError):
    """A spec that does not parse; the message lists the valid choices."""


def parse_int(token: str, low: int, high: int) -> int | None:
    """``token`` as an int in ``low..high`` when it is plain ASCII digits, else None."""
    if not isinstance(token, str) or not _DIGITS.fullmatch(token):
        return None
    value = int(token)
    return value if low <= value <= high else None


@dataclass(frozen=True)
class OperationSpec:
    """A parsed spec: ``operation`` name, ``params`` for the model, canonical ``text``."""

    operation: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    text: str = ""
    # The Operation that parsed it (grammar, model key, labels ...).
    op: Operation | None = field(default=None, hash=False, compare=False, repr=False)

    def __str__(self) -> str:
        return self.text

    @property
    def model_key(self) -> str:
        """Registry key of the model that runs this spec (``models_zoo.registry.resolve``)."""
        return self.op.model_key(self.params)

    @property
    def label(self) -> str:
        return self.op.label_for(self.params)

    @property
    def available(self) -> bool:
        return self.op.is_available(self)


@dataclass(frozen=True)
class FormChoice:
    """One entry of the admin's Operation menu. ``fields`` are the extra form fields (declared
    by the operation's ``form_fields``) this choice needs; the panel shows only those."""

    value: str
    label: str
    fields: tuple[str, ...] = ()
    bulk: bool = True


def dummy_entry(*keys: str, task: str = "translate", **fields: Any) -> dict[str, Any]:
    """A ``WAGTAIL_GAN["MODELS"]`` entry that puts the deterministic dummy backend (family
    ``dummy``: no weights) behind the default keys ``keys``. The dummy ignores the task, but
    the engine asks the prompt tasks (edit, generate) for a prompt and a seed."""
    return {"task": task, "family": "dummy", "default_for": list(keys), **fields}


class Operation:
    """Base class. Subclasses set the class attributes and override the methods they need.

    A subclass with a ``name``, in a module of ``wagtail_gan.operations``, is an operation:
    the package finds and registers it (``registry.discover``); a class without a name is a
    base for others (``StrengthOperation``)."""

    name: str = ""
    label: str = ""
    # Position in the admin's Operation menu, the API catalog and the docs tables (then the
    # order they were found in). The built-ins use 10..90; other operations come after them.
    order: int = 100
    # One paragraph for the API catalog, the docs table and the admin's help.
    description: str = ""
    # The grammar in one line, for error messages and help texts ("winterize[-<1..100>]").
    synopsis: str = ""
    # Usable in Wagtail image tags ({% image photo upscale-4x %}) as a rendition filter.
    filter: bool = False
    # Offered as an editor/API "variant of an image" action.
    variant: bool = True
    # Fallback a page gets while the ML rendition is pending: "identity" (the unmodified
    # pixels) or "resize" (a cheap resize to the output size); an operation with another
    # stand-in overrides ``fallback_image``.
    fallback: str = "identity"
    # The docs' words for the fallback when ``fallback_image`` is the operation's own.
    fallback_help: str = ""
    # "blend": an optional 0..1 strength blends the result with the input (passed to the
    # engine); "spec": the strength is part of the spec (winterize-70); None: no strength.
    strength: str | None = "blend"
    # The spec needs the editor's instruction as its prompt.
    needs_instruction: bool = False

    # -- grammar ----------------------------------------------------------------------
    def grammar(self) -> list[str]:
        """The spec forms, for the API catalog and help texts."""
        return [self.name]

    def parse(self, args: list[str]) -> OperationSpec:
        if args:
            raise InvalidSpec(f"{self.name} takes no arguments.")
        return self.spec({})

    def format(self, params: dict[str, Any]) -> str:
        return self.name

    def spec(self, params: dict[str, Any]) -> OperationSpec:
        return OperationSpec(self.name, dict(params), self.format(params), self)

    def label_for(self, params: dict[str, Any]) -> str:
        return str(self.label)

    def title_for(self, params: dict[str, Any]) -> str:
        """How editors see a result of this operation: the end of a kept variant's title
        ("Cup of coffee — fauve style"), the jobs listing, provenance. ``params`` may carry
        ``style_image_title`` (the reference image's title) and ``prompt``."""
        return self.label_for(params)

    # -- model --------------------------------------------------------------------------
    def model_key(self, params: dict[str, Any]) -> str:
        return self.name

    def model_keys(self) -> tuple[str, ...]:
        """Every registry key ``model_key`` can return for a spec of the grammar (a model id
        aside): what its models' ``default_for`` name (the docs tables, the dummy models)."""
        return (self.model_key({}),)

    def dummy_models(self) -> dict[str, dict[str, Any]]:
        """Registry entries (id -> ``WAGTAIL_GAN["MODELS"]`` fields) that run this operation on
        the dummy backend, for the test suite and demos (``registry.dummy_models`` merges
        them): by default ``dummy_<name>`` behind every key of ``model_keys``."""
        return {f"dummy_{self.name}": dummy_entry(*self.model_keys())}

    def is_enabled(self) -> bool:
        enabled = gan_settings.ENABLED_OPERATIONS
        return enabled is None or self.name in enabled

    def is_available(self, spec: OperationSpec | None = None) -> bool:
        """True when the model behind ``spec`` (or the operation's default) is installed."""
        key = self.model_key(spec.params) if spec is not None else self.model_key({})
        return registry.is_available(key)

    def output_size(self, params: dict[str, Any], size: tuple[int, int]) -> tuple[int, int] | None:
        """Size of the result for an input of ``size``; None when only the model knows."""
        return size

    def fallback_image(self, image, params: dict[str, Any], size: tuple[int, int], *,
                       fast: bool = False):
        """The cheap stand-in (a PIL image of ``size``, the output size capped to
        MAX_OUTPUT_PIXELS) a page gets while the ML rendition is pending, or None for the
        unmodified pixels. ``fast``: a large output, where speed beats quality."""
        if self.fallback != "resize":
            return None
        return image.resize(size, PILImage.BILINEAR if fast else PILImage.LANCZOS)

    def with_strength(self, spec: OperationSpec, strength: float) -> OperationSpec:
        """``spec`` with an editor's 0..1 strength applied (see ``strength``)."""
        return OperationSpec(spec.operation, {**spec.params, "strength": strength}, spec.text, self)

    def catalog_extras(self) -> dict[str, Any]:
        """Top-level keys this operation adds to the API's ``GET operations/`` (the styles,
        the upscale models): JSON-ready values."""
        return {}

    # -- request inputs beside the spec -----------------------------------------------------
    # Names of extra request inputs the operation takes (e.g. erase's "mask"); they are
    # cleaned by ``clean_inputs``, stored in the job's params and passed to the engine.
    inputs: tuple[str, ...] = ()

    def clean_inputs(self, spec: OperationSpec, inputs: dict[str, Any],
                     size: tuple[int, int] | None = None) -> dict[str, Any]:
        """The cleaned ``inputs`` this operation takes (raise InvalidSpec for bad ones), and
        InvalidSpec when a required one is missing. ``size``: the step's input size where
        known (the source's width and height, either way round), to bound the work an input
        asks for (erase's mask)."""
        return {}

    # -- admin form -------------------------------------------------------------------
    def form_choices(self) -> list[FormChoice]:
        return [FormChoice(self.name, str(self.label))]

    def form_fields(self) -> dict[str, Any]:
        """Extra Django form fields (name -> field) the form choices need."""
        return {}

    def spec_from_form(self, choice: str, data: dict[str, Any]) -> str:
        return choice

    def clean_form(self, choice: str, data: dict[str, Any]) -> dict[str, str]:
        """Field errors (name -> message) for a form choice of this operation."""
        return {}

    def form_values(self, spec: OperationSpec) -> dict[str, Any]:
        """Form field values that reproduce ``spec`` (shows an interpretation in the form)."""
        return {"operation": spec.text}

    # -- instructions -------------------------------------------------------------------
    # The plain words that ask for this operation in an editor's instruction ("add snow" ->
    # winterize), for ``wagtail_gan.instructions``; None: the operation declares none.
    vocabulary = None
