"""The one settings dict, ``WAGTAIL_GAN``: every key with its default and its meaning.

Read settings through ``gan_settings.NAME`` (``from wagtail_gan.conf import gan_settings``).
The object re-reads ``settings.WAGTAIL_GAN`` whenever Django's ``setting_changed`` fires,
so ``override_settings(WAGTAIL_GAN={...})`` works in tests.

Each key is one :class:`Setting` in ``SETTINGS``: its ``default`` and its ``doc`` (MyST
Markdown, one paragraph). The docs' settings reference is generated from them
(``docs/_ext``), so a new key is documented where it is declared; ``DEFAULTS`` is derived.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed


@dataclass(frozen=True)
class Setting:
    """One ``WAGTAIL_GAN`` key: its default value and what it means (Markdown)."""

    default: Any
    doc: str


SETTINGS: dict[str, Setting] = {
    "MODELS_DIR": Setting(None, """
        Where model weights live (downloaded, converted or dropped in by hand), one folder
        per model with a `manifest.json`. Must be writable by whoever runs
        `gan_models install` and readable by the worker and the web server. `None` means
        `<data home>/wagtail-gan/models`, outside the site's source tree (`$XDG_DATA_HOME`,
        else `~/.local/share`). A `str` or a `Path`."""),
    "PENDING_DIR": Setting(None, """
        Where editor/API outputs wait for review: a private folder, never under
        `MEDIA_ROOT` (files are streamed to their owner only). `None` means
        `<data home>/wagtail-gan/pending`. A `str` or a `Path`. A site that defines
        `STORAGES["wagtail_gan_pending"]` (e.g. a private S3 bucket, no public ACL) uses
        that storage instead."""),
    "DEVICE": Setting("auto", """
        Where the worker runs models: `"auto"` picks `cuda`, then `mps`, then `cpu`; or
        `"cpu"`, `"cuda"`, `"cuda:1"`, `"mps"`."""),
    "PRECISION": Setting("auto", """
        `"auto"` is fp16 on CUDA where the model supports it, fp32 elsewhere; or `"fp32"`,
        `"fp16"`, `"bf16"`."""),
    "TORCH_THREADS": Setting(None, """
        Torch threads in the worker process (`None` leaves torch's default)."""),
    "MODEL_CACHE_MB": Setting(4096, """
        Memory budget, in MiB, for the models kept loaded per worker process (least
        recently used first out)."""),
    "UPSCALE_DEFAULTS": Setting({"upscale-2x": "spanx2_ch48", "upscale-4x": "spanx4_ch48"}, """
        The built-in models behind `upscale-2x` / `upscale-4x`: SPAN (Apache-2.0, fast and
        faithful: about a second per megapixel on 2 CPU cores). `{"upscale-4x":
        "realesrgan_x4plus"}` brings back the Real-ESRGAN look (slow on a CPU). A
        `MODELS` entry's `default_for` wins over this. Installed by
        `gan_models install --default --offline`."""),
    "UPSCALE_CPU_RUNTIME": Setting("auto", """
        Super-resolution runtime on a CPU: `"auto"` (the fastest runtime measured per model
        family that gives the same pixels as torch within 1e-3, see the benchmarks),
        `"torch"` or `"onnxruntime"` (falls back to torch when unavailable or when its
        check fails)."""),
    "UPSCALE_CUDA_BATCH": Setting(4, """
        CUDA only: super-resolution tiles per batch."""),
    "TORCH_COMPILE": Setting(False, """
        CUDA only: `torch.compile` the super-resolution model (the first run is slower)."""),
    "TILE_SIZE": Setting(256, """
        Tile size in input pixels for tiled super-resolution and CycleGAN inference (`0`
        disables tiling; CycleGAN uses 4x the tile size). Tiles are retried smaller on CUDA
        out-of-memory."""),
    "TILE_OVERLAP": Setting(16, """
        Overlap of neighbouring tiles in input pixels (the seams are feathered)."""),
    "SYNC_RENDITIONS": Setting(False, """
        Run rendition models inside the web request instead of on the worker (only for
        sites that render on a GPU web box). Pooled renditions then vary but are not
        watermarked."""),
    "MAX_INPUT_PIXELS": Setting(4096 * 4096, """
        Larger inputs (in pixels) are never sent to a model: the job is skipped with the
        reason and the page keeps its fallback."""),
    "MAX_OUTPUT_PIXELS": Setting(8192 * 8192, """
        Upscales whose output would be larger (in pixels) are refused; their fallback is
        capped to this size."""),
    "PRIORITY_INTERACTIVE": Setting(100, """
        Huey priority of editor and API jobs (image and video): they jump ahead of
        renditions. Each job runs at this priority lowered by a fraction (less than 1) for
        every job of the same user ahead of it, so users take turns; keep the priorities
        integers at least 1 apart."""),
    "PRIORITY_RENDITION": Setting(10, """
        Huey priority of ML renditions requested by pages."""),
    "PRIORITY_BACKGROUND": Setting(0, """
        Huey priority of background work (pregeneration, the other slots of a pool)."""),
    "ENABLED_OPERATIONS": Setting(None, """
        Which operations are enabled (template filters, admin, API): a list of operation
        names (`upscale`, `winterize`, `stylize`, `edit`, `generate` ...), or `None` for
        every operation of the registry."""),
    "FALLBACK_FAST_ABOVE_PIXELS": Setting(1_000_000, """
        Upscale fallbacks with more output pixels than this use a bilinear resize and plain
        encoding (cheap for the web request) instead of Lanczos."""),
    "FALLBACK_GRACE_SECONDS": Setting(7 * 24 * 3600, """
        Seconds a superseded fallback file is kept before the sweeper deletes it. Keep it
        above your HTML and CDN cache times, so cached HTML never points at a deleted
        file."""),
    "RENDITION_STALE_SECONDS": Setting(15 * 60, """
        The sweeper re-queues a rendition job that made no progress for this long."""),
    "RENDITION_EXPIRE_SECONDS": Setting(24 * 3600, """
        The sweeper expires a rendition job this old (the page keeps its fallback)."""),
    "RENDITION_MAX_ATTEMPTS": Setting(3, """
        Model runs a rendition job gets before it is given up."""),
    "JOB_HEARTBEAT_TIMEOUT": Setting(10 * 60, """
        Editor/API jobs, video jobs and model tasks: the sweeper (`work.sweep`, every
        minute) fails a running job whose worker sent no heartbeat for this long (its worker
        died, e.g. killed or out of memory; a model task is re-queued once first). Raise it
        if your models run this long without reporting progress."""),
    "JOB_QUEUE_TIMEOUT": Setting(60 * 60, """
        A queued job no worker picked up for this long is re-queued once (its queue message
        was lost), then failed after another `JOB_QUEUE_TIMEOUT`."""),
    "WORKER_HEARTBEAT_SECONDS": Setting(10, """
        Each `run_huey` process refreshes its `WorkerProcess` liveness row this often, from
        a thread, so a long model run does not delay it."""),
    "WORKER_DEAD_AFTER": Setting(30, """
        A worker not seen for this long is dead: its running jobs are re-queued
        (renditions, model tasks once) or failed (editor and video jobs) by the next sweep - live workers look for dead
        peers on every beat - and their owners can cancel or discard them at once. Jobs on
        a live worker are never failed for being slow. At least 2.5 beats (check W007)."""),
    "PREGENERATE_SPECS": Setting([], """
        Specs rendered ahead of time when an image is uploaded or its file replaced, e.g.
        `["width-800|upscale-2x"]`."""),
    "IMPROVE_ON_UPLOAD": Setting([], """
        Rules that propose variants of a new or replaced image, waiting for the uploader's
        review like editor variants (`source="policy"`; the original is never replaced),
        e.g. `[{"spec": "upscale-2x", "if": {"smaller_than": 1000}}, {"spec": "restore",
        "if": {"jpeg_quality_below": 50}}]`. Conditions (all must hold): `smaller_than`
        (longest side, px), `jpeg_quality_below` (estimated from the JPEG's quantisation
        tables), `collection` (name or id), `formats` (`["jpeg", "png", ...]`). A rule
        whose model is not installed proposes nothing; bad rules are system check errors
        (E003)."""),
    "POOL_VARIATION": Setting(True, """
        `{% gan_variant %}` pools: slot *k* > 0 runs stylize/winterize at a slot-dependent
        strength (0.75..1 x the spec's) so the slots look different, not only carry
        different watermarks."""),
    "AUTO_KEEP": Setting(False, """
        Editor variants enter the library without review (by default they land only when
        kept)."""),
    "MAX_VIDEO_SECONDS": Setting(60, """
        Video: the longest source video or clip, in seconds; longer ones are refused before
        any model runs."""),
    "MAX_VIDEO_PIXELS": Setting(1920 * 1080, """
        Video: the largest frame, in pixels; larger videos are refused before any model
        runs."""),
    "MAX_INSTRUCTION_LENGTH": Setting(500, """
        The longest accepted natural-language instruction or prompt, in characters."""),
    "MODELS": Setting({}, """
        Registry entries added or changed by the site: `{id: {field: value}}`, e.g.
        `{"instruct_pix2pix": {"revision": "<40-hex commit>"}}`, `{"sd_turbo": {"path":
        "/srv/models/sd-turbo"}}` or a new `{"studio_x4": {"task": "upscale", "scale": 4,
        "path": "...", "default_for": ["upscale-4x"]}}`. A malformed entry is ignored,
        logged and reported by `gan_models list`."""),
    "BACKENDS": Setting({}, """
        Extra or replaced model families: `{family: "dotted.path.to.BackendClass"}`."""),
    "JOB_RATE": Setting("30/hour", """
        The per-user budget of image and video jobs, whatever the way in: the REST API, the
        admin's panels and pages, the bulk action, proposals made on upload (DRF rate
        syntax: `"30/hour"`, `"5/min"`, `"100/day"`; `None` disables it). Only created jobs
        count (not refused requests, not idempotent replays). Over it, the API answers 429
        with `Retry-After` and the admin says on the form when one more can start."""),
    "JOB_RATE_EXEMPT_SUPERUSERS": Setting(False, """
        `True` lets superusers start jobs beyond `JOB_RATE`. By default they have the same
        budget as everyone (a stolen superuser session should not tie up the worker)."""),
    "API_THROTTLE_RATE": Setting(None, """
        Deprecated: the former name of `JOB_RATE`, which covered the API only. Still read
        when `JOB_RATE` is not set (it then limits the admin too); rename it."""),
    "PROTECTED_COLLECTIONS": Setting([], """
        Collection ids or names whose images may not be sources or style references of
        editor/API jobs (e.g. licensed stock). Does not restrict template filters."""),
    "C2PA_CERT_CHAIN": Setting(None, """
        C2PA signing: the PEM certificate chain (leaf first), a path or PEM text. With
        `C2PA_PRIVATE_KEY` set too, every output is signed (`None`: not signed)."""),
    "C2PA_PRIVATE_KEY": Setting(None, """
        C2PA signing: the PEM private key of the leaf certificate, a path or PEM text."""),
    "C2PA_THUMBNAILS": Setting(False, """
        Embed a thumbnail in each C2PA manifest (about +125 KB and +35 ms per image)."""),
    "C2PA_TRUST_ANCHORS": Setting(None, """
        PEM root certificate(s), path or text, that the image checker trusts when
        validating C2PA manifests (your CA; the development CA in the sandbox)."""),
    "WATERMARK": Setting(True, """
        An invisible watermark naming the job and output in every generated output."""),
    "RIGHTS_FIELDS": Setting(
        ["copyright", "credit", "licence", "license", "rights", "attribution"], """
        Image-model fields copied from a source to its kept variants (never overwriting),
        where your image model has them."""),
}

# Every key's default: what ``gan_settings.NAME`` returns when the site does not set it.
DEFAULTS: dict[str, Any] = {name: setting.default for name, setting in SETTINGS.items()}


def data_home() -> Path:
    """``$XDG_DATA_HOME/wagtail-gan`` (else ``~/.local/share/wagtail-gan``): the default home of
    MODELS_DIR and PENDING_DIR, outside the site's source tree (like Hugging Face's cache).
    The web server and the worker must see the same folders: set both settings when they run
    as different users or on different machines."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "wagtail-gan"


class GanSettings:
    """Attribute access to WAGTAIL_GAN with defaults; unknown names raise AttributeError."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._cache is None:
            self._cache = dict(getattr(settings, "WAGTAIL_GAN", {}) or {})
        return self._cache

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Unknown WAGTAIL_GAN setting: {name}")
        return self.user_settings.get(name, DEFAULTS[name])

    def unknown_keys(self) -> list[str]:
        return sorted(set(self.user_settings) - set(DEFAULTS))

    @property
    def models_dir(self) -> Path:
        configured = self.MODELS_DIR
        return Path(configured) if configured else data_home() / "models"

    @property
    def pending_dir(self) -> Path:
        configured = self.PENDING_DIR
        return Path(configured) if configured else data_home() / "pending"

    def reload(self) -> None:
        self._cache = None


gan_settings = GanSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "WAGTAIL_GAN":
        gan_settings.reload()


setting_changed.connect(_reload)
