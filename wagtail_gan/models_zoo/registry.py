"""Model registry (torch-free: with ``errors``, the only part of models_zoo the web tier may
import, to list models, validate specs and ask whether an operation can run).

Every model is one :class:`ModelEntry`: id, task, family (which backend runs it, see
``backends``), scale, where its weights come from (:class:`Source`), published sha256, size,
licence, citation and default parameters.

* Built-in entries are ``builtin.BUILTIN`` (data only). Their tasks are the registry's
  :func:`tasks` (``TASKS``): an entry with a new task brings the task.
* Sites add or override entries with ``WAGTAIL_GAN["MODELS"]``: ``{id: {field: value}}``.
  A site entry with the id of a built-in one replaces fields of it (e.g. ``{"realesrgan_x4plus":
  {"path": "/srv/weights/x4.pth"}}`` uses a file you provide). ``"default_for": ["upscale-4x"]``
  makes an entry the model behind a spec (a site entry's ``default_for`` always wins).
* ``WAGTAIL_GAN["UPSCALE_DEFAULTS"]`` (``{"upscale-2x": "spanx2_ch48", "upscale-4x":
  "spanx4_ch48"}`` by default) names the built-in models behind the upscale keys; e.g.
  ``{"upscale-4x": "realesrgan_x4plus"}`` brings back the Real-ESRGAN look as the default.
* Any super-resolution ``.pth`` / ``.safetensors`` file dropped into the top level of
  ``MODELS_DIR`` is usable as ``upscale-<file stem>`` (spandrel detects the architecture when it
  is loaded; the stem must be a valid model id: letters, digits, ``_`` and ``.``).

Installed weights live in ``MODELS_DIR/<id>/`` with a ``manifest.json`` recording the sha256 of
what was installed, the source and whether the hash is trust-on-first-use.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from wagtail_gan.conf import gan_settings

from .entries import NO_WEIGHTS_FAMILIES, ModelEntry, Source, url_source

# The entry classes are the registry's public names too.
__all__ = ["NO_WEIGHTS_FAMILIES", "ModelEntry", "Source", "url_source"]

logger = logging.getLogger(__name__)

# Tasks whose runs need a prompt and record a seed (the engine enforces both).
PROMPT_TASKS = ("edit", "generate")
# When the model behind a key is not installed, the model behind another key (or a model id)
# stands in (the backend is asked for the original scale): upscale-2x runs the 4x model, then
# downsizes; erase/expand run the classical engine where LaMa is not installed.
STAND_INS = {"upscale-2x": "upscale-4x",
             "erase": "opencv_telea", "expand": "opencv_telea",
             "removebg": "isnet_general_use_small", "restore": "scunet_color_real_psnr"}
# Model ids are spec arguments (upscale-<id>) and folder names: no "-", "/" or leading ".".
MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]{0,127}$")
SR_SUFFIXES = (".pth", ".safetensors", ".pt", ".ckpt")
# Installed with the defaults (`gan_models install --default`) although no key points at them:
# the Real-ESRGAN look stays one spec away (upscale-realesrgan_x4plus); the quantised ISNet
# comes from the same npm package as the default one.
ALSO_DEFAULT = ("realesrgan_x4plus", "isnet_general_use_small")
MANIFEST = "manifest.json"


class UnknownModel(ValueError):
    """No registry entry (or dropped-in file) with that id."""


class InvalidModelId(ValueError):
    """A model id that could escape the models dir or break the spec grammar."""


def validate_model_id(model_id: str) -> str:
    if not isinstance(model_id, str) or not MODEL_ID_RE.match(model_id) or ".." in model_id:
        raise InvalidModelId(
            f"Invalid model id {model_id!r}: use letters, digits, '_' and '.' (max 128)."
        )
    return model_id


_ENTRY_FIELDS = {f for f in ModelEntry.__dataclass_fields__}
_SOURCE_FIELDS = {f for f in Source.__dataclass_fields__}


def _site_entry(model_id: str, spec: dict[str, Any], base: ModelEntry | None) -> ModelEntry:
    validate_model_id(model_id)
    spec = dict(spec or {})
    unknown = set(spec) - _ENTRY_FIELDS - {"path", "revision", "sha256", "url", "repo", "size"}
    if unknown:
        raise ValueError(f"WAGTAIL_GAN['MODELS'][{model_id!r}]: unknown keys {sorted(unknown)}")
    sources = list(base.sources if base else ())
    if "sources" in spec:
        sources = [s if isinstance(s, Source) else Source(**{k: (tuple(v) if k == "files" else v)
                   for k, v in s.items() if k in _SOURCE_FIELDS}) for s in spec.pop("sources")]
    if "path" in spec:  # a user-provided file or folder, used in place
        sources = [Source("file", path=str(spec.pop("path")), sha256=spec.pop("sha256", None))]
    if "url" in spec:
        sources = [url_source(spec.pop("url"), spec.pop("sha256", None), spec.pop("size", None))]
    if "repo" in spec or "revision" in spec:
        hf = next((s for s in sources if s.kind == "hf"), Source("hf"))
        hf = replace(hf, repo=spec.pop("repo", hf.repo), revision=spec.pop("revision", hf.revision))
        sources = [hf] + [s for s in sources if s.kind != "hf"]
    spec.pop("sha256", None)
    spec.pop("size", None)
    values: dict[str, Any] = {k: v for k, v in spec.items() if k in _ENTRY_FIELDS}
    if "defaults" in values and base is not None:
        values["defaults"] = {**base.defaults, **values["defaults"]}
    if "default_for" in values:
        values["default_for"] = tuple(values["default_for"])
    values["sources"] = tuple(sources)
    values["origin"] = "site"
    if base is not None:
        return replace(base, **values)
    values.setdefault("id", model_id)
    if values.get("task") not in tasks():
        raise ValueError(f"WAGTAIL_GAN['MODELS'][{model_id!r}]: task must be one of {tasks()}")
    values.setdefault("family", "spandrel" if values["task"] == "upscale" else "")
    return ModelEntry(**values)


def _builtin() -> tuple[ModelEntry, ...]:
    from .builtin import BUILTIN  # imported when first needed: the data is large

    return BUILTIN


def tasks() -> tuple[str, ...]:
    """The tasks a model entry may have: those of the built-in entries, in their order (a
    site entry uses one of them)."""
    return tuple(dict.fromkeys(entry.task for entry in _builtin()))


def __getattr__(name: str):
    if name == "TASKS":  # ``registry.TASKS``: the built-in entries' tasks, read when asked
        return tasks()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def config_errors() -> list[str]:
    """Problems with WAGTAIL_GAN["MODELS"] and ["UPSCALE_DEFAULTS"] (each such entry is
    ignored)."""
    errors = []
    builtin = {e.id: e for e in _builtin()}
    for model_id, spec in (gan_settings.MODELS or {}).items():
        try:
            _site_entry(model_id, spec, builtin.get(model_id))
        except (ValueError, TypeError) as exc:
            errors.append(f"WAGTAIL_GAN['MODELS'][{model_id!r}] ignored: {exc}")
    _, problems = _upscale_defaults(builtin)
    return errors + problems


def _upscale_defaults(builtin: dict[str, ModelEntry]) -> tuple[dict[str, str], list[str]]:
    """WAGTAIL_GAN["UPSCALE_DEFAULTS"] checked: ({key: built-in upscale model id}, problems)."""
    good, problems = {}, []
    setting = gan_settings.UPSCALE_DEFAULTS or {}
    if not isinstance(setting, dict):
        return {}, [f"WAGTAIL_GAN['UPSCALE_DEFAULTS'] ignored: not a dict ({setting!r})"]
    for key, model_id in setting.items():
        where = f"WAGTAIL_GAN['UPSCALE_DEFAULTS'][{key!r}]"
        entry = builtin.get(model_id) if isinstance(model_id, str) else None
        if not isinstance(key, str) or not key.startswith("upscale-"):
            problems.append(f"{where} ignored: keys are upscale keys such as 'upscale-4x'")
        elif entry is None or entry.task != "upscale":
            problems.append(f"{where} ignored: {model_id!r} is not a built-in upscale model "
                            "(use a WAGTAIL_GAN['MODELS'] entry with 'default_for' instead)")
        else:
            good[key] = model_id
    return good, problems


def _with_upscale_defaults(builtin: tuple[ModelEntry, ...]) -> dict[str, ModelEntry]:
    """Built-in entries with ``default_for`` of the upscale keys set from the setting."""
    result = {e.id: e for e in builtin}
    chosen, problems = _upscale_defaults(result)
    for problem in problems:
        logger.error(problem)
    for model_id, entry in list(result.items()):
        keys = tuple(k for k in entry.default_for if k not in chosen)
        keys += tuple(k for k, v in chosen.items() if v == model_id)
        if keys != entry.default_for:
            result[model_id] = replace(entry, default_for=keys)
    return result


def _dropins() -> list[ModelEntry]:
    root = gan_settings.models_dir
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.iterdir()):
        if path.is_file() and path.suffix.lower() in SR_SUFFIXES and MODEL_ID_RE.match(path.stem):
            out.append(ModelEntry(
                id=path.stem, task="upscale", family="spandrel",
                sources=(Source("file", path=str(path)),), origin="dropin",
                description=f"super-resolution file dropped into {root}",
                summary="An enlarging (upscale) model file added to the models folder by hand.",
                dropin_path=str(path),
            ))
    return out


_entries_cache: tuple | None = None


def entries() -> dict[str, ModelEntry]:
    """All entries by id: built-ins, then site entries, then dropped-in files (which never
    shadow a registered id). The upscale keys of built-in entries follow
    ``WAGTAIL_GAN["UPSCALE_DEFAULTS"]``.

    Every spec parse and availability check asks for them (page renders too), so the result
    is kept until the settings are reloaded or the models folder changes (its mtime: a file
    dropped in or removed)."""
    global _entries_cache
    settings_dict = gan_settings.user_settings
    try:
        stamp = gan_settings.models_dir.stat().st_mtime_ns
    except OSError:
        stamp = None
    cached = _entries_cache
    if cached is not None and cached[0] is settings_dict and cached[1] == stamp:
        return dict(cached[2])
    result = _entries()
    _entries_cache = (settings_dict, stamp, result)
    return dict(result)


def _entries() -> dict[str, ModelEntry]:
    result = _with_upscale_defaults(_builtin())
    for model_id, spec in (gan_settings.MODELS or {}).items():
        try:
            result[model_id] = _site_entry(model_id, spec, result.get(model_id))
        except (ValueError, TypeError) as exc:
            # A bad site entry must not break pages that parse specs: it is skipped, logged,
            # and reported by config_errors() / `manage.py gan_models list`.
            logger.error("Ignoring WAGTAIL_GAN['MODELS'][%r]: %s", model_id, exc)
    for entry in _dropins():
        result.setdefault(entry.id, entry)
    return result


def get(model_id: str) -> ModelEntry:
    validate_model_id(model_id)
    try:
        return entries()[model_id]
    except KeyError:
        raise UnknownModel(
            f"Unknown model {model_id!r}. Known models: {', '.join(sorted(entries()))}"
        ) from None


def default_for(key: str) -> ModelEntry:
    """The entry behind a spec key such as ``upscale-4x``, ``winterize``, ``stylize-monet``,
    ``stylize``, ``stylize-image``, ``edit``, ``generate`` or ``img2img``. Site entries win."""
    found = _default_for(key, entries())
    if found is None:
        raise UnknownModel(f"No model registered for {key!r}")
    return found


def _default_for(key: str, known: dict[str, ModelEntry]) -> ModelEntry | None:
    found = None
    for entry in known.values():
        if key in entry.default_for and (found is None or entry.origin != "builtin"):
            found = entry
    return found


def resolve(key: str) -> ModelEntry:
    """The entry a run asks for: a model id (``realesrgan_x4plus``), else the default model
    for a key (``upscale-4x``, ``winterize``, ``stylize``, ``stylize-image``, ``stylize-monet``,
    ``edit``, ``img2img``, ``generate``), else ``<task>-<model id>`` (``upscale-my_x4``).
    Raises :class:`UnknownModel` with the valid choices."""
    if not isinstance(key, str) or not key:
        raise UnknownModel(f"Unknown model {key!r}")
    known = entries()
    if key in known:
        return known[key]
    entry = _default_for(key, known)
    if entry is not None:
        return entry
    task, _, model_id = key.partition("-")
    if model_id and MODEL_ID_RE.match(model_id):
        entry = known.get(model_id)
        if entry is not None and entry.task == task:
            return entry
    keys = sorted({k for e in known.values() for k in e.default_for})
    raise UnknownModel(f"Unknown model {key!r}. Known models: {', '.join(sorted(known))}; "
                       f"default keys: {', '.join(keys)}")


def resolve_installed(key: str) -> ModelEntry | None:
    """The installed entry that would run for ``key``: :func:`resolve`'s, else its stand-in's
    (:data:`STAND_INS`); None when neither is installed. Raises like :func:`resolve`."""
    entry = resolve(key)
    if is_installed(entry):
        return entry
    if key in STAND_INS:
        stand_in = resolve(STAND_INS[key])
        if is_installed(stand_in):
            return stand_in
    return None


# -- revisions pinned on the Models page (kept in the database by the app) ---------------

_pin_lookup: Callable[[str], str] | None = None


def set_pin_lookup(lookup: Callable[[str], str] | None) -> None:
    """The app's ``model id -> revision pinned on the Models page ("" for none)``
    (``models_admin.pins``, set in ``AppConfig.ready``): the registry reads no database."""
    global _pin_lookup
    _pin_lookup = lookup


def pinned(entry: ModelEntry, revision: str = "") -> ModelEntry:
    """``entry`` with its Hugging Face source at ``revision``, else at the revision pinned on
    the Models page; unchanged when the built-in entry or ``WAGTAIL_GAN["MODELS"]`` pins one
    (settings win). Installs, verifications and model loads use it."""
    if not entry.unpinned:
        return entry
    if not revision and _pin_lookup is not None:
        try:
            revision = _pin_lookup(entry.id) or ""
        except Exception:  # no database here (a script, migrations not run): no pin
            logger.debug("no pin lookup for %s", entry.id, exc_info=True)
    if not revision:
        return entry
    return replace(entry, sources=tuple(replace(s, revision=revision) if s.kind == "hf" else s
                                        for s in entry.sources))


def is_available(key: str) -> bool:
    """Whether a run for ``key`` (model id or default key) can start now: it resolves and its
    model (or its stand-in) is installed. Never raises."""
    try:
        return resolve_installed(key) is not None
    except Exception:  # a bad key, a broken site entry, an unreadable models dir: not runnable
        logger.debug("is_available(%r) is False", key, exc_info=True)
        return False


def upscale_model_ids() -> list[str]:
    """Ids valid after ``upscale-`` (used by ``specs.parse_spec``)."""
    return sorted(e.id for e in entries().values() if e.task == "upscale")


# -- installed state (torch-free) ---------------------------------------------------------


def model_dir(model_id: str) -> Path:
    return gan_settings.models_dir / validate_model_id(model_id)


def read_manifest(model_id: str) -> dict[str, Any] | None:
    path = model_dir(model_id) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def package_file(source: Source, name: str) -> Path | None:
    """Path of a file shipped inside an installed package (None when not installed).
    Uses importlib metadata only: the package is not imported."""
    from importlib.util import find_spec

    try:
        spec = find_spec(source.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / name
    return path if path.exists() else None


def weights_path(entry: ModelEntry) -> Path | None:
    """Where this entry's weights are now (file or folder), or None when not installed."""
    if entry.dropin_path:
        return Path(entry.dropin_path)
    for src in entry.sources:
        if src.kind == "file":
            path = Path(src.path)
            return path if path.exists() else None
    manifest = read_manifest(entry.id)
    if manifest and manifest.get("file"):
        path = model_dir(entry.id) / manifest["file"]
        if path.exists() and not entry.other_revision(manifest):
            return path
    for src in entry.sources:
        if src.kind == "package":
            paths = [package_file(src, f) for f in src.files]
            if paths and all(paths):
                return paths[0].parent
    return None


def is_installed(entry: ModelEntry) -> bool:
    return not entry.needs_weights or weights_path(entry) is not None

