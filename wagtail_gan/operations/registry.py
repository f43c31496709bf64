"""The registry of operations (``discover``/``register``/``get``/``all_operations``), spec
parsing and what derives from the operations as a whole (``dummy_models``). Operation modules
import ``base``; nothing here imports them by name (``__init__`` discovers the built-in ones)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from wagtail import hooks

from .base import InvalidSpec, Operation, OperationSpec

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


def discover(package: str) -> list[Operation]:
    """Import every module of ``package`` (in name order) and register one instance of each
    operation it defines: an :class:`Operation` subclass of that module with a ``name``.
    Returns them. ``wagtail_gan.operations`` runs it on itself; another app may run it on its
    own package from its ``AppConfig.ready``."""
    found = []
    for info in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__),
                       key=lambda info: info.name):
        module = importlib.import_module(f"{package}.{info.name}")
        for obj in list(vars(module).values()):
            if (isinstance(obj, type) and issubclass(obj, Operation) and obj.name
                    and obj.__module__ == module.__name__):
                found.append(register(obj()))
    return found


def _load_hooks() -> None:
    """Operations added by other apps through ``@hooks.register("register_gan_operations")``
    (each hook returns a list of Operation instances)."""
    global _hooks_loaded
    if _hooks_loaded:
        return
    _hooks_loaded = True
    for fn in hooks.get_hooks("register_gan_operations"):
        for op in fn():
            register(op)


def all_operations() -> list[Operation]:
    """Every operation, by ``order`` (then in the order they were registered)."""
    _load_hooks()
    return sorted(_REGISTRY.values(), key=lambda op: op.order)


def get(name: str) -> Operation:
    _load_hooks()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidSpec(
            f"Unknown operation {name!r}. Valid operations: "
            + ", ".join(op.synopsis or op.name for op in all_operations())
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


MAX_STEPS = 4


def parse_steps(text: str) -> list[OperationSpec]:
    """Parse a spec of one or more steps joined with ``|`` (as in Wagtail's filter specs):
    ``stylize-7|upscale-4x``. At most ``MAX_STEPS``."""
    if not isinstance(text, str) or not text.strip():
        return [parse_spec(text)]
    parts = [part.strip() for part in text.split("|")]
    if len(parts) > MAX_STEPS:
        raise InvalidSpec(f"At most {MAX_STEPS} steps (operations joined with “|”).")
    return [parse_spec(part) for part in parts]


def describe(spec_text: str, params: dict | None = None) -> str:
    """An editor's name for a spec ("fauve style", "in the style of Harbour", "upscaled 2×"):
    each step's ``title_for`` with the parsed params plus ``params`` (a reference image's
    title, the prompt). The spec itself when it no longer parses."""
    try:
        steps = parse_steps(spec_text)
    except InvalidSpec:
        return str(spec_text)
    return ", then ".join(spec.op.title_for({**spec.params, **(params or {})}) for spec in steps)


def dummy_models() -> dict[str, dict[str, Any]]:
    """Every operation's ``dummy_models`` in one ``WAGTAIL_GAN["MODELS"]`` dict: the dummy
    backend behind every default key (``tests/conftest.py``'s ``dummy_models`` fixture). Two
    operations may share an entry (erase and expand: ``dummy_inpaint``); its keys add up."""
    merged: dict[str, dict[str, Any]] = {}
    for op in all_operations():
        for model_id, entry in op.dummy_models().items():
            keys = merged.get(model_id, {}).get("default_for", [])
            new = [key for key in entry.get("default_for", ()) if key not in keys]
            merged[model_id] = {**entry, "default_for": [*keys, *new]}
    return merged
