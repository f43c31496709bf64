"""Family -> backend: which class runs the models of each ``ModelEntry.family``.

``BACKENDS`` maps the built-in families to dotted paths. It is found, not listed: every
module of this package that defines a :class:`~.base.Backend` subclass with ``family = "..."``
(or ``families = (...)`` for several) brings its families. The modules are read, not imported
(``ast``): a backend module, with its torch/diffusers/onnxruntime imports, is imported only
when a model of its family runs. Adding a family touches one file: its backend module.

A site adds or replaces families with ``WAGTAIL_GAN["BACKENDS"] = {"my_family":
"myapp.backends.MyBackend"}`` (a dotted path or a :class:`~.base.Backend` subclass).
"""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import Any

from django.utils.module_loading import import_string

from wagtail_gan.conf import gan_settings

from ..errors import EngineError
from .base import Backend, RunContext

__all__ = ["BACKENDS", "Backend", "RunContext", "backend_paths", "get_backend"]


def _declared_families(node: ast.ClassDef, where: str) -> tuple[str, ...]:
    """The families a class body declares: ``families = (...)``, else ``family = "..."``
    (literals: the module is not run)."""
    declared: dict[str, Any] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("family", "families") and value:
            try:
                declared[target.id] = ast.literal_eval(value)
            except ValueError:
                raise RuntimeError(f"{where}.{target.id} must be a literal") from None
    if declared.get("families"):
        return tuple(declared["families"])
    return (declared["family"],) if declared.get("family") else ()


def discover_backends() -> dict[str, str]:
    """{family: dotted path of its class} for the backend classes of this package's modules
    (in name order). Two classes declaring one family is an error."""
    found: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            target = f"{__name__}.{path.stem}.{node.name}"
            for family in _declared_families(node, target):
                if found.setdefault(family, target) != target:
                    raise RuntimeError(f"Model family {family!r} has two backends: "
                                       f"{found[family]} and {target}")
    return found


BACKENDS: dict[str, str] = discover_backends()

_instances: dict[Any, Backend] = {}
_lock = threading.Lock()


def backend_paths() -> dict[str, Any]:
    """Built-in families, then the site's ``WAGTAIL_GAN["BACKENDS"]`` (which win)."""
    return {**BACKENDS, **(gan_settings.BACKENDS or {})}


def get_backend(family: str) -> Backend:
    """The (per-process, shared) backend instance for a family; :class:`EngineError` with the
    known families when there is none or it cannot be imported."""
    paths = backend_paths()
    target = paths.get(family)
    if not target:
        raise EngineError(
            f"No backend for model family {family!r}. Known families: "
            f"{', '.join(sorted(paths))} (add one with WAGTAIL_GAN['BACKENDS'])"
        )
    with _lock:
        if target in _instances:
            return _instances[target]
        cls = target
        if isinstance(target, str):
            try:
                cls = import_string(target)
            except ImportError as exc:
                raise EngineError(f"Backend {target!r} for model family {family!r} cannot be "
                                  f"imported: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise EngineError(f"Backend {target!r} for model family {family!r} is not a "
                              "wagtail_gan.models_zoo.backends.base.Backend subclass")
        _instances[target] = instance = cls()
        return instance
