# wagtail-gan: add to the end of your settings (mysite/settings/base.py in a `wagtail start`
# project). It extends INSTALLED_APPS and uses BASE_DIR as that file defines them.

# wagtail_gan goes before wagtail.images: it extends the image edit page (check W003).
INSTALLED_APPS.insert(INSTALLED_APPS.index("wagtail.images"), "wagtail_gan")
INSTALLED_APPS += [
    "rest_framework",              # the REST API
    "rest_framework.authtoken",    # token authentication for the API (optional)
    "huey.contrib.djhuey",         # the job queue
]

from wagtail_gan.queue import huey_settings

# The queue: SqliteHuey in BASE_DIR / "data" (no server), or PriorityRedisHuey when the
# WAGTAIL_GAN_REDIS_URL environment variable is set (many workers share one Redis queue).
# huey_settings() always sets "immediate" explicitly: djhuey would otherwise follow DEBUG and
# run models inside web requests.
(BASE_DIR / "data").mkdir(exist_ok=True)
HUEY = huey_settings(BASE_DIR / "data")

# The renditions cache must be shared by the web and worker processes (never LocMem, check
# W005): a file cache on one machine; Redis ("django.core.cache.backends.redis.RedisCache")
# when the web and the worker run on different machines.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / "data" / "renditions-cache",
    },
}

WAGTAIL_GAN = {
    "MODELS_DIR": BASE_DIR / "gan-models",    # model weights (on the worker)
    "PENDING_DIR": BASE_DIR / "gan-private",  # outputs waiting for review: never public
    "DEVICE": "auto",                         # cuda, then mps, then cpu
}
