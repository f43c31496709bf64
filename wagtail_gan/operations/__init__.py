"""The operation registry: the single source of truth for what wagtail-gan can do.

Each operation is one :class:`~.base.Operation` subclass in one module of this package. Rendition
filters, the admin forms, the API catalog, instruction plans, the docs tables and the test
suite's dummy models derive from it::

    from wagtail_gan import operations
    spec = operations.parse_spec("stylize-fauve")     # OperationSpec("stylize", {"styles": [7]})
    spec.model_key, spec.label, spec.available

Adding an operation = a module here with an ``Operation`` subclass (``StrengthOperation`` for
the ``<name>[-<1..100>]`` kind): every module of this package is imported and its operations
registered (``discover``), nothing lists them. Other apps use the ``register_gan_operations``
Wagtail hook (or ``discover`` / ``register``). A new model family also needs a backend in
``models_zoo/backends``, and its models registry entries (``models_zoo/builtin.py``).
"""

from __future__ import annotations

from .base import FormChoice, InvalidSpec, Operation, OperationSpec, dummy_entry, parse_int
from .registry import (
    all_operations,
    describe,
    discover,
    dummy_models,
    get,
    parse_parts,
    parse_spec,
    parse_steps,
    register,
    unregister,
)
from .strength import StrengthOperation

__all__ = [
    "FormChoice", "InvalidSpec", "Operation", "OperationSpec", "StrengthOperation",
    "all_operations", "describe", "discover", "dummy_entry", "dummy_models", "get", "parse_int",
    "parse_parts", "parse_spec", "parse_steps", "register", "unregister",
]

discover(__name__)
