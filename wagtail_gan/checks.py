"""Django system checks with hints for common wagtail-gan misconfiguration."""

from __future__ import annotations

import importlib.util
import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import DEFAULTS, gan_settings
from .jobs.policy import config_errors as policy_errors
from .provenance.c2pa import check_messages as c2pa_messages
from .work import budget


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    messages = []
    unknown = gan_settings.unknown_keys()
    if unknown:
        messages.append(
            Warning(
                f"Unknown WAGTAIL_GAN keys: {', '.join(unknown)}",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}",
                id="wagtail_gan.W001",
            )
        )
    apps = list(getattr(settings, "INSTALLED_APPS", []))
    if "huey.contrib.djhuey" not in apps:
        messages.append(
            Error(
                "huey.contrib.djhuey is not in INSTALLED_APPS.",
                hint="Add 'huey.contrib.djhuey' so `manage.py run_huey` can consume wagtail-gan jobs.",
                id="wagtail_gan.E001",
            )
        )
    huey_conf = getattr(settings, "HUEY", None)
    if not huey_conf:
        messages.append(
            Error(
                "No HUEY setting: wagtail-gan cannot queue jobs for the worker.",
                hint="Set HUEY = wagtail_gan.queue.huey_settings(Path(BASE_DIR, 'data')) or a Redis "
                "config (docs/snippets/install_settings.py).",
                id="wagtail_gan.E002",
            )
        )
    elif isinstance(huey_conf, dict) and "immediate" not in huey_conf:
        messages.append(
            Warning(
                "HUEY has no explicit 'immediate' key; djhuey then uses settings.DEBUG, so a DEBUG "
                "site would run models inside web requests.",
                hint="Set HUEY['immediate'] = False (the worker runs jobs) or True (tests only).",
                id="wagtail_gan.W002",
            )
        )
    messages += app_order_messages(apps)
    messages += rendition_cache_messages()
    messages += liveness_messages()
    messages += budget_messages()
    messages += c2pa_messages()
    messages += [
        Error(message, hint="See IMPROVE_ON_UPLOAD in the settings reference (docs/reference/settings.md).",
              id="wagtail_gan.E003")
        for message in policy_errors()
    ]
    models_dir = gan_settings.models_dir
    probe = models_dir if models_dir.exists() else models_dir.parent
    if probe.exists() and not os.access(probe, os.W_OK):
        messages.append(
            Warning(
                f"The models directory {models_dir} is not writable: `gan_models install` will fail.",
                hint="Set WAGTAIL_GAN['MODELS_DIR'] to a writable directory, or fix its permissions.",
                id="wagtail_gan.W004",
            )
        )
    return messages


def budget_messages() -> list:
    """A malformed ``JOB_RATE`` (E005); the deprecated ``API_THROTTLE_RATE`` (W009)."""
    messages = []
    try:
        budget.rate()
    except ImproperlyConfigured as exc:
        messages.append(Error(str(exc), hint="See JOB_RATE in the settings reference.",
                              id="wagtail_gan.E005"))
    if "API_THROTTLE_RATE" in gan_settings.user_settings:
        ignored = "JOB_RATE" in gan_settings.user_settings
        messages.append(Warning(
            "WAGTAIL_GAN['API_THROTTLE_RATE'] is deprecated: "
            + ("it is ignored, JOB_RATE is set." if ignored else
               "it is read as JOB_RATE, the one per-user budget of the API and the admin."),
            hint="Rename it to JOB_RATE (it covers every way of starting a job).",
            id="wagtail_gan.W009",
        ))
    return messages


def app_order_messages(apps: list[str]) -> list:
    if "wagtail.images" in apps and "wagtail_gan" in apps:
        if apps.index("wagtail_gan") > apps.index("wagtail.images"):
            return [
                Warning(
                    "'wagtail_gan' comes after 'wagtail.images' in INSTALLED_APPS, so the "
                    "'Generate variant' panel on the image edit page will not show.",
                    hint="Move 'wagtail_gan' above 'wagtail.images'.",
                    id="wagtail_gan.W003",
                )
            ]
    return []


LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
# Django's cache backends that import their client library on first use (a page with an
# image would be a 500): the module each needs.
CACHE_CLIENT_MODULES = {
    "django.core.cache.backends.redis.RedisCache": ("redis", "pip install 'wagtail-gan[redis]'"),
    "django.core.cache.backends.memcached.PyMemcacheCache": ("pymemcache", "pip install pymemcache"),
    "django.core.cache.backends.memcached.PyLibMCCache": ("pylibmc", "pip install pylibmc"),
}


def rendition_cache_messages() -> list:
    """E004: the renditions cache backend (or its client library) cannot be imported: every
    page with an image would fail. W005: Wagtail's rendition cache must be shared by web and
    worker processes, or the web keeps serving fallbacks after the worker has swapped the ML
    rendition in. (A DummyCache caches nothing, so it never serves a stale fallback.)"""
    caches = getattr(settings, "CACHES", {}) or {}
    alias = "renditions" if "renditions" in caches else "default"
    backend = (caches.get(alias) or {}).get("BACKEND", LOCMEM_CACHE)
    problem = cache_import_problem(backend)
    if problem:
        return [
            Error(
                f"The {alias!r} cache cannot be used: {problem}. Wagtail reads renditions "
                "through it, so every page with an image would fail.",
                hint=CACHE_CLIENT_MODULES.get(backend, ("", f"Fix CACHES[{alias!r}]['BACKEND']."))[1],
                id="wagtail_gan.E004",
            )
        ]
    if backend == LOCMEM_CACHE:
        return [
            Warning(
                f"The {alias!r} cache ({backend.rsplit('.', 1)[-1]}) is per-process: web "
                "processes would keep serving fallback renditions after the worker has swapped "
                "in the ML version.",
                hint="Configure CACHES['renditions'] with a shared backend: Redis, "
                "FileBasedCache or DatabaseCache.",
                id="wagtail_gan.W005",
            )
        ]
    return []


def liveness_messages() -> list:
    """W007: a worker is declared dead after WORKER_DEAD_AFTER without a liveness beat; with
    fewer than about three beats in that window a busy database makes live workers look dead
    (and their jobs re-queued or failed under them)."""
    try:
        beat = float(gan_settings.WORKER_HEARTBEAT_SECONDS)
        dead = float(gan_settings.WORKER_DEAD_AFTER)
    except (TypeError, ValueError):
        beat, dead = 1.0, 0.0
    if beat > 0 and dead >= 2.5 * beat:
        return []
    return [Warning(
        f"WORKER_DEAD_AFTER ({gan_settings.WORKER_DEAD_AFTER}) should be at least 2.5x "
        f"WORKER_HEARTBEAT_SECONDS ({gan_settings.WORKER_HEARTBEAT_SECONDS}): live workers "
        "could be declared dead and their jobs recovered under them.",
        hint="The defaults are 10 and 30 seconds.",
        id="wagtail_gan.W007",
    )]


def cache_import_problem(backend: str) -> str | None:
    """Why a cache BACKEND cannot be used in this environment (None when it can)."""
    try:
        import_string(backend)
    except ImportError as exc:
        return f"{backend} cannot be imported ({exc})"
    module = CACHE_CLIENT_MODULES.get(backend, (None,))[0]
    if module and importlib.util.find_spec(module) is None:
        return f"{backend.rsplit('.', 1)[-1]} needs the {module!r} package, which is not installed"
    return None


@register(Tags.urls)
def check_public_urls(app_configs=None, **kwargs):
    """W008: without ``include("wagtail_gan.urls")`` the status endpoint is missing, so
    ``{% gan_swap_script %}`` renders nothing and fallbacks are only replaced on a reload."""
    try:
        reverse("wagtail_gan:rendition_status")
    except NoReverseMatch:
        return [
            Warning(
                "wagtail_gan.urls is not included in the site's URLconf: {% gan_swap_script %} "
                "renders nothing, so pages show fallback renditions until they are reloaded.",
                hint='Add path("gan/", include("wagtail_gan.urls")) to urls.py '
                "(docs/snippets/install_urls.py).",
                id="wagtail_gan.W008",
            )
        ]
    return []
