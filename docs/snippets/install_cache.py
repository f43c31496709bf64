# wagtail-gan: append this to your settings module too, unless your default cache is already
# shared by processes (Redis, Memcached, a DatabaseCache or a FileBasedCache). Wagtail's
# renditions cache must be shared by the web server and the worker (never the per-process
# LocMem cache, Django's default), or pages keep the fallback after the worker has swapped the
# ML rendition in: Redis when WAGTAIL_GAN_REDIS_URL is set (pip install "wagtail-gan[redis]"),
# else a file cache.
import os

CACHES = globals().get("CACHES") or {  # your own caches, if your settings define them
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if os.environ.get("WAGTAIL_GAN_REDIS_URL"):
    CACHES["renditions"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                            "LOCATION": os.environ["WAGTAIL_GAN_REDIS_URL"]}
else:
    CACHES["renditions"] = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                            "LOCATION": os.path.join(BASE_DIR, "data", "renditions-cache")}
