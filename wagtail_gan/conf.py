"""The one settings dict, ``WAGTAIL_GAN``, with documented defaults.

Read settings through ``gan_settings.NAME`` (``from wagtail_gan.conf import gan_settings``).
The object re-reads ``settings.WAGTAIL_GAN`` whenever Django's ``setting_changed`` fires,
so ``override_settings(WAGTAIL_GAN={...})`` works in tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # Where model weights live (downloaded, converted or dropped in by hand). Must be
    # writable by whoever runs ``gan_models install`` and readable by the worker.
    # None means ``<BASE_DIR or cwd>/gan-models``.
    "MODELS_DIR": None,
    # Where editor/API outputs wait for review (private: never under MEDIA_ROOT; served only
    # to their owner). None means ``<BASE_DIR or cwd>/gan-private``. A site that defines
    # STORAGES["wagtail_gan_pending"] (e.g. a private S3 bucket) uses that instead.
    "PENDING_DIR": None,
    # "auto" picks cuda, then mps, then cpu. Or "cpu", "cuda", "cuda:1", "mps".
    "DEVICE": "auto",
    # "auto" = fp16 on CUDA when the model supports it, fp32 elsewhere; or "fp32"/"fp16"/"bf16".
    "PRECISION": "auto",
    # Torch threads in the worker process (None leaves torch's default).
    "TORCH_THREADS": None,
    # Memory budget for models kept loaded per worker process (LRU), in MiB.
    "MODEL_CACHE_MB": 4096,
    # The built-in models behind upscale-2x / upscale-4x: SPAN (Apache-2.0, fast and faithful:
    # ~1 s per megapixel on 2 CPU cores). {"upscale-4x": "realesrgan_x4plus"} brings back
    # the Real-ESRGAN look (slow on a CPU). A WAGTAIL_GAN["MODELS"] entry's "default_for"
    # wins over this. Installed by `gan_models install --default --offline`.
    "UPSCALE_DEFAULTS": {"upscale-2x": "spanx2_ch48", "upscale-4x": "spanx4_ch48"},
    # Super-resolution runtime on a CPU: "auto" (the fastest one measured per model family
    # that gives the same pixels as torch within 1e-3, see benchmarks/RESULTS.md), "torch" or
    # "onnxruntime" (falls back to torch when unavailable or when its check fails).
    "UPSCALE_CPU_RUNTIME": "auto",
    # CUDA only: tiles per batch for super-resolution, and torch.compile of the model
    # (first run slower; off by default).
    "UPSCALE_CUDA_BATCH": 4,
    "TORCH_COMPILE": False,
    # Super-resolution / CycleGAN tile size in input pixels (0 disables tiling) and overlap.
    "TILE_SIZE": 256,
    "TILE_OVERLAP": 16,
    # Run rendition models inside the web request (only for sites rendering on a GPU box).
    "SYNC_RENDITIONS": False,
    # Inputs larger than this (pixels) are never sent to a model; outputs above the cap are refused.
    "MAX_INPUT_PIXELS": 4096 * 4096,
    "MAX_OUTPUT_PIXELS": 8192 * 8192,
    # Huey priorities: editor jobs jump ahead of background renditions.
    "PRIORITY_INTERACTIVE": 100,
    "PRIORITY_RENDITION": 10,
    "PRIORITY_BACKGROUND": 0,
    # Which operations are enabled (filters, admin, API): a list of operation names, or None
    # for every operation of the registry (wagtail_gan.operations).
    "ENABLED_OPERATIONS": None,
    # Fallback renditions: resample filter for upscale fallbacks above this many output pixels.
    "FALLBACK_FAST_ABOVE_PIXELS": 1_000_000,
    # Seconds a superseded fallback file is kept before deletion (must exceed the
    # renditions cache timeout so cached HTML never points at a deleted file).
    "FALLBACK_GRACE_SECONDS": 7 * 24 * 3600,
    # Pending renditions: re-enqueue when no progress for this long; give up after this long.
    "RENDITION_STALE_SECONDS": 15 * 60,
    "RENDITION_EXPIRE_SECONDS": 24 * 3600,
    "RENDITION_MAX_ATTEMPTS": 3,
    # Editor/API jobs, video jobs and model tasks (``work.sweep``, every minute): a running
    # job whose worker sent no heartbeat for this long is marked failed (its worker died, e.g.
    # killed or out of memory; a model task is re-queued once first); a queued job no worker
    # picked up for JOB_QUEUE_TIMEOUT is re-queued once (its queue message was lost), then
    # failed after another JOB_QUEUE_TIMEOUT.
    "JOB_HEARTBEAT_TIMEOUT": 10 * 60,
    "JOB_QUEUE_TIMEOUT": 60 * 60,
    # Worker liveness (``work.liveness``): each ``run_huey`` process refreshes its
    # ``WorkerProcess`` row every WORKER_HEARTBEAT_SECONDS (a thread, so a long model run does
    # not delay it) and is dead when not seen for WORKER_DEAD_AFTER. A running job whose
    # worker is dead is re-queued (renditions, model tasks once) or failed (editor and video
    # jobs) by the next sweep - live workers sweep for dead peers on every heartbeat - and its
    # owner can cancel or discard it at once. Jobs on a live worker are never failed for being
    # slow.
    "WORKER_HEARTBEAT_SECONDS": 10,
    "WORKER_DEAD_AFTER": 30,
    # Specs rendered ahead of time when an image is uploaded or its file replaced.
    "PREGENERATE_SPECS": [],
    # Improve on upload: rules that propose variants of a new or replaced image, waiting for
    # the uploader's review like editor variants (the original is never replaced). Each rule:
    # {"spec": "upscale-2x", "if": {"smaller_than": 1000}} - conditions (all must hold):
    # smaller_than (longest side, px), jpeg_quality_below (estimated from the file's
    # quantisation tables), collection (name or id), formats (["jpeg", "png", ...]).
    "IMPROVE_ON_UPLOAD": [],
    # {% gan_variant %} pools: slot k>0 runs stylize/winterize at a slot-dependent strength
    # (0.75..1 x the spec's) so the slots look different, not only carry different watermarks.
    "POOL_VARIATION": True,
    # Editor variants land in the library only when kept, unless this is True.
    "AUTO_KEEP": False,
    # Video (wagtail_gan.video): longest source video or clip in seconds, and the largest
    # frame in pixels; longer or larger ones are refused before any model runs.
    "MAX_VIDEO_SECONDS": 60,
    "MAX_VIDEO_PIXELS": 1920 * 1080,
    # Longest accepted natural-language instruction or prompt.
    "MAX_INSTRUCTION_LENGTH": 500,
    # Extra registry entries (dicts, see models_zoo.registry) added by the site.
    "MODELS": {},
    # Extra model families: {family: "dotted.path.to.BackendClass"} (see models_zoo.backends).
    "BACKENDS": {},
    # Per-user rate for GPU jobs through the API (DRF throttle rate syntax).
    "API_THROTTLE_RATE": "30/hour",
    # Collection ids or names whose images may not be used as sources (e.g. licensed stock).
    "PROTECTED_COLLECTIONS": [],
    # Provenance: C2PA signing (paths to PEM chain and key; None disables signing).
    "C2PA_CERT_CHAIN": None,
    "C2PA_PRIVATE_KEY": None,
    "C2PA_THUMBNAILS": False,
    # PEM roots (path or text) the checker trusts when validating C2PA manifests.
    "C2PA_TRUST_ANCHORS": None,
    # Invisible watermark (job/variant id) in every generated output.
    "WATERMARK": True,
    # Image-model fields copied from a source to its variants, where the model has them.
    "RIGHTS_FIELDS": ["copyright", "credit", "licence", "license", "rights", "attribution"],
}


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
        if configured:
            return Path(configured)
        base = getattr(settings, "BASE_DIR", None) or Path.cwd()
        return Path(base) / "gan-models"

    @property
    def pending_dir(self) -> Path:
        configured = self.PENDING_DIR
        if configured:
            return Path(configured)
        base = getattr(settings, "BASE_DIR", None) or Path.cwd()
        return Path(base) / "gan-private"

    def reload(self) -> None:
        self._cache = None


gan_settings = GanSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "WAGTAIL_GAN":
        gan_settings.reload()


setting_changed.connect(_reload)
