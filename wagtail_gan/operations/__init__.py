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
from .erase import Erase
from .expand import Expand
from .registry import (
    all_operations,
    describe,
    get,
    parse_parts,
    parse_spec,
    parse_steps,
    register,
    unregister,
)
from .removebg import RemoveBackground
from .restore import Restore
from .stylize import Stylize
from .upscale import Upscale
from .vintage import Vintage
from .winterize import Winterize

__all__ = [
    "FormChoice", "InvalidSpec", "Operation", "OperationSpec", "all_operations", "describe", "get",
    "parse_int", "parse_parts", "parse_spec", "parse_steps", "register", "unregister",
]

for _op in (Upscale(), Winterize(), Stylize(), RemoveBackground(), Erase(), Expand(), Restore(),
            Edit(), Generate()):
    register(_op)
register(Vintage())
