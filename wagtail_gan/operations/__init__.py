"""The operation registry: the single source of truth for what wagtail-gan can do.

Each operation is one :class:`~.base.Operation` object in one module of this package. Rendition
filters, the admin forms, the API catalog, instruction plans and the docs derive from it::

    from wagtail_gan import operations
    spec = operations.parse_spec("stylize-fauve")     # OperationSpec("stylize", {"styles": [7]})
    spec.model_key, spec.label, spec.available

Adding an operation = a module here with an ``Operation`` subclass, registered below (or by a
site with ``register()`` / the ``register_gan_operations`` Wagtail hook), plus a backend in
``models_zoo/backends`` if it needs a new model family and registry entries for its models.
"""

from __future__ import annotations

from .base import FormChoice, InvalidSpec, Operation, OperationSpec, parse_int
from .edit import Edit, Generate
from .stylize import Stylize
from .upscale import Upscale
from .winterize import Winterize

__all__ = [
    "FormChoice", "InvalidSpec", "Operation", "OperationSpec", "all_operations", "describe", "get",
    "parse_int", "parse_parts", "parse_spec", "register", "unregister",
]

_REGISTRY: dict[str, Operation] = {}
_hooks_loaded = False


def register(op: Operation) -> Operation:
    """Add (or replace) an operation. Returns it, so it can decorate an instance factory."""
    if not op.name or "-" in op.name or "|" in op.name:
        raise ValueError(f"Invalid operation name {op.name!r}")
    _REGISTRY[op.name] = op
    return op


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def _load_hooks() -> None:
    """Operations added by other apps through ``@hooks.register("register_gan_operations")``
    (each hook returns a list of Operation instances)."""
    global _hooks_loaded
    if _hooks_loaded:
        return
    _hooks_loaded = True
    from wagtail import hooks

    for fn in hooks.get_hooks("register_gan_operations"):
        for op in fn():
            register(op)


def all_operations() -> list[Operation]:
    _load_hooks()
    return list(_REGISTRY.values())


def get(name: str) -> Operation:
    _load_hooks()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidSpec(
            f"Unknown operation {name!r}. Valid operations: "
            + ", ".join(op.synopsis or op.name for op in _REGISTRY.values())
        ) from None


def parse_parts(name: str, args: list[str]) -> OperationSpec:
    return get(name.lower()).parse(list(args))


def parse_spec(text: str) -> OperationSpec:
    """Parse one operation spec such as ``upscale-4x`` or ``stylize-3-12``."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSpec("Empty operation. Valid operations: "
                          + ", ".join(op.name for op in all_operations()))
    name, *args = text.strip().split("-")
    return parse_parts(name, args)


def describe(spec_text: str, params: dict | None = None) -> str:
    """An editor's name for a spec ("fauve style", "in the style of Harbour", "upscaled 2×"):
    the operation's ``title_for`` with the parsed params plus ``params`` (a reference image's
    title, the prompt). The spec itself when it no longer parses."""
    try:
        spec = parse_spec(spec_text)
    except InvalidSpec:
        return str(spec_text)
    return spec.op.title_for({**spec.params, **(params or {})})


for _op in (Upscale(), Winterize(), Stylize(), Edit(), Generate()):
    register(_op)
