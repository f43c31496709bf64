"""What the admin's Models page shows for each registry model, in plain language for a site
administrator who is not an ML specialist: the model's ``summary`` (declared beside it in the
registry) with its technical details a click away, the operations it runs, where it installs
from (and whether that needs a network), its size on disk once installed, when it was
installed, what removing it would switch off, and a failed task explained in words (the
exact error stays available, collapsed).

Web tier: reads ``models_zoo.registry`` and the operations only (no ML imports).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import operations
from ..models import ModelTask
from ..models_zoo import registry
from . import pins
from .service import task_state

# The groups of the page, in registry order; a task missing here shows its own name.
TASK_LABELS = {
    "upscale": gettext_lazy("Enlarge (upscale)"),
    "translate": gettext_lazy("Change the scene or the era"),
    "stylize": gettext_lazy("Artistic styles"),
    "edit": gettext_lazy("Edit by instruction"),
    "generate": gettext_lazy("Create new images"),
    "interpolate": gettext_lazy("Video frames"),
    "removebg": gettext_lazy("Remove background"),
    "inpaint": gettext_lazy("Erase and expand"),
    "restore": gettext_lazy("Restore photos"),
}
SPEED_LABELS = {
    "fast": gettext_lazy("Quick, even without a graphics card"),
    "slow": gettext_lazy("Slow without a graphics card"),
}
HUB_HOST = "huggingface.co"


def task_label(task: str) -> str:
    return str(TASK_LABELS.get(task) or capfirst(task))


def key_label(key: str) -> str:
    """The name editors see for a spec key a model runs (``upscale-4x`` → "Upscale 4×"):
    the operation's menu entry, else its spec label, else the operation's name."""
    for op in operations.all_operations():
        if key not in op.model_keys():
            continue
        for choice in op.form_choices():
            if choice.value == key:
                return str(choice.label)
        try:
            return capfirst(operations.parse_spec(key).label)
        except ValueError:  # InvalidSpec: a key that is not a whole spec ("stylize")
            return str(op.label)
    return key


def switched_off_by_removal(entry: registry.ModelEntry) -> list[str]:
    """The operations (their labels) that run ``entry`` now and that no other installed model
    would run once it is removed: removing it switches them off for every editor."""
    if not entry.needs_weights or not registry.is_installed(entry):
        return []
    keys = sorted({k for e in registry.entries().values() for k in e.default_for}
                  | set(registry.STAND_INS))
    off = []
    for key in keys:
        try:
            runs = registry.resolve_installed(key)
        except registry.UnknownModel:
            continue
        if runs is None or runs.id != entry.id:
            continue
        stand_in = registry.STAND_INS.get(key)
        try:
            other = registry.resolve(stand_in) if stand_in else None
        except registry.UnknownModel:
            other = None
        if other is not None and other.id != entry.id and registry.is_installed(other):
            continue
        off.append(key_label(key))
    return list(dict.fromkeys(off))


def _runs(key: str, installed: bool = False) -> str:
    """The id of the model that runs ``key`` (the installed one, or its stand-in, with
    ``installed``); "" for none."""
    try:
        entry = registry.resolve_installed(key) if installed else registry.default_for(key)
    except registry.UnknownModel:
        return ""
    return entry.id if entry is not None else ""


def runners() -> dict[str, tuple[str, str]]:
    """Every default key: (the model that is its default, the installed model that runs it
    now, itself or a stand-in) by id, "" for none."""
    keys = {k for e in registry.entries().values() for k in e.default_for}
    return {k: (_runs(k), _runs(k, installed=True)) for k in sorted(keys)}


def used_for(entry: registry.ModelEntry,
             run_by: dict[str, tuple[str, str]] | None = None) -> tuple[list[str], list[str]]:
    """(the operations ``entry`` is the model of, those it stands in for now because their
    own model is not installed), as labels."""
    run_by = runners() if run_by is None else run_by
    own = [k for k in entry.default_for if run_by.get(k, ("", ""))[0] == entry.id]
    standing_in = [k for k, (default, now) in run_by.items()
                   if now == entry.id and default != entry.id]
    return (list(dict.fromkeys(key_label(k) for k in own)),
            list(dict.fromkeys(key_label(k) for k in standing_in)))


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def source_lines(entry: registry.ModelEntry) -> list[dict]:
    """Where the entry installs from, in words: ``{"text", "offline"}`` per source, in the
    order the installer tries them."""
    lines = []
    for src in entry.sources:
        if src.kind == "url":
            text = _("a download from %(host)s") % {"host": _host(src.url)}
        elif src.kind == "hf":
            text = _("a download from %(host)s (%(repo)s)") % {"host": HUB_HOST, "repo": src.repo}
        elif src.kind in ("package", "ncnn", "torch"):
            text = _("the Python package %(package)s on the worker (no download)") % {
                "package": src.package.replace("_", "-")}
        elif src.kind == "npm":
            text = _("the npm package %(package)s (needs npm, no model hub)") % {
                "package": src.package}
        else:
            text = _("a file on the server (%(path)s)") % {"path": src.path}
        lines.append({"text": text, "offline": src.offline})
    return lines


def _tree_size(path: Path, skip: frozenset[str] = frozenset()) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            if name in skip:
                continue
            try:
                total += (Path(folder) / name).stat().st_size
            except OSError:
                continue
    return total


def installed_size(entry: registry.ModelEntry) -> int | None:
    """Bytes the installed model takes: its files in the models folder, else the files it
    uses in place (a package's model files, a site's file or folder); None when it is not
    installed or has no files."""
    if not entry.needs_weights:
        return None
    path = registry.weights_path(entry)
    if path is None:
        return None
    folder = registry.model_dir(entry.id)
    if folder.is_dir():
        size = _tree_size(folder, frozenset({registry.MANIFEST}))
        if size:
            return size
    for src in entry.sources:
        if src.kind == "package":
            files = [registry.package_file(src, name) for name in src.files]
            if files and all(files):
                return sum(f.stat().st_size for f in files)
    return _tree_size(path) or None


def failure(entry: registry.ModelEntry, task: ModelTask | None) -> dict | None:
    """A failed task in words: ``{"headline", "advice"}`` (the exact error is the task's
    message, which the page keeps collapsed); None unless the task failed."""
    if task is None or task.status != ModelTask.Status.FAILED:
        return None
    offline = [line["text"] for line in source_lines(entry) if line["offline"]]
    kind = task.error_kind
    if kind == "network":
        hosts = list(dict.fromkeys(_host(s.url) if s.kind == "url" else HUB_HOST
                                   for s in entry.sources if s.kind in ("url", "hf")))
        headline = _("Could not reach %(hosts)s from the worker.") % {
            "hosts": _(" or ").join(hosts) or _("the model’s source")}
        if offline:
            advice = _("Check the worker’s network access, or install it offline: it also "
                       "comes from %(source)s.") % {"source": offline[0]}
        else:
            advice = _("Check the worker’s network access (a proxy or firewall may block it), "
                       "or copy the file to the worker and point the site settings at it "
                       "(WAGTAIL_GAN['MODELS']['%(id)s']['path']).") % {"id": entry.id}
    elif kind == "hash" and task.action == ModelTask.Action.VERIFY:
        headline = _("The installed files do not match the ones that were installed.")
        advice = _("They may be damaged or replaced: remove the model and install it again.")
    elif kind == "hash":
        headline = _("The downloaded file is not the published one, so nothing was installed.")
        advice = _("Try again later. If it happens again the source has changed: check it, or "
                   "ask its publisher.")
    elif kind == "unpinned":
        headline = _("This model needs a version to install: a commit of its Hugging Face "
                     "repository.")
        advice = _("Enter the commit in the field beside Install and install again: the page "
                   "keeps it as the model’s pin until you remove it. Site settings "
                   "(WAGTAIL_GAN['MODELS'][id]['revision']) win over it.")
    else:
        headline = _("The %(action)s did not finish.") % {
            "action": task.get_action_display().lower()}
        advice = _("The technical details below say why; the worker’s log has more.")
    return {"headline": headline, "advice": advice}


def _installed_at(manifest: dict) -> datetime | None:
    try:
        return parse_datetime(str(manifest.get("installed_at") or ""))
    except ValueError:
        return None


def latest_tasks() -> dict[str, ModelTask]:
    latest: dict[str, ModelTask] = {}
    for task in ModelTask.objects.order_by("-created_at", "-pk")[:500]:
        latest.setdefault(task.model_id, task)
    return latest


def model_row(raw: registry.ModelEntry, task: ModelTask | None,
              run_by: dict[str, tuple[str, str]] | None = None) -> dict:
    """What the page shows for one entry (``raw``: as the registry has it, before a pin;
    ``run_by``: :func:`runners`, computed when not given)."""
    pin = pins.pin_state(raw)
    entry = registry.pinned(raw, pin["revision"] if pin["pinned_by"] == "page" else "")
    manifest = registry.read_manifest(entry.id) or {}
    installed = registry.is_installed(entry)
    speed = str(entry.speed or entry.defaults.get("speed_class", ""))
    own, standing_in = used_for(entry, run_by)
    return {
        "id": entry.id,
        "entry": entry,
        "task": entry.task,
        "summary": entry.summary or entry.description,
        "description": entry.description if entry.summary else "",
        "family": entry.family,
        "citation": entry.citation,
        "used_for": own,
        "stands_in_for": standing_in,
        "default_for": list(entry.default_for),
        "origin": entry.origin,
        "installed": installed,
        "needs_weights": entry.needs_weights,
        "download_size": entry.size,
        "size": installed_size(entry) if installed else None,
        "licence": entry.licence,
        "sources": [s.describe() for s in entry.sources],
        "source_lines": source_lines(entry),
        "offline": entry.installable_offline,
        "speed": speed,
        "speed_label": str(SPEED_LABELS.get(speed, "")),
        "removable": entry.needs_weights and registry.model_dir(entry.id).is_dir(),
        "unpinned": entry.unpinned,
        "hf_repo": entry.hf_source.repo if entry.hf_source else "",
        "pin": pin,
        "installed_revision": manifest.get("revision", "") if manifest.get("kind") == "hf"
        else "",
        "installed_at": _installed_at(manifest) if installed else None,
        "sha256": manifest.get("sha256", ""),
        "tofu": bool(manifest.get("tofu")),
        "state": task_state(task),
        "task_when": task and (task.finished_at or task.created_at),
        "failure": failure(entry, task),
    }


def model_groups() -> list[dict]:
    """The page's rows grouped by task (registry order): in each, the models behind an
    operation first, then the installed ones, then the rest by id."""
    latest, run_by = latest_tasks(), runners()
    groups: dict[str, list[dict]] = {}
    for raw in registry.entries().values():
        groups.setdefault(raw.task, []).append(model_row(raw, latest.get(raw.id), run_by))
    order = {task: i for i, task in enumerate(registry.tasks())}
    result = []
    for task in sorted(groups, key=lambda t: (order.get(t, 99), t)):
        rows = sorted(groups[task], key=lambda r: (not r["used_for"], not r["installed"],
                                                   r["id"].lower()))
        result.append({"task": task, "label": task_label(task), "rows": rows})
    return result
