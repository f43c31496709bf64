"""Settings for the wagtail-gan sandbox site.

Embedded default: SQLite + SqliteHuey in ``sandbox/data`` (no server needed).
``DATABASE_URL=postgres://...`` switches the database, ``WAGTAIL_GAN_REDIS_URL=redis://...``
switches the queue (PriorityRedisHuey) and the shared renditions cache to Redis.
"""

import importlib.util
import os
from pathlib import Path

from wagtail_gan.queue import huey_settings

SANDBOX_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SANDBOX_DIR
DATA_DIR = Path(os.environ.get("SANDBOX_DATA_DIR", SANDBOX_DIR / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sandbox-not-secret-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]

INSTALLED_APPS = [
    "home",
    # wagtail_gan before wagtail.images: it extends the image edit template.
    "wagtail_gan",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    # wagtailmedia (the "video" extra): the library of videos that wagtail_gan.video uses;
    # without it the video features are hidden.
    *(["wagtailmedia"] if importlib.util.find_spec("wagtailmedia") else []),
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "rest_framework.authtoken",
    "huey.contrib.djhuey",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # A random first-party cookie that picks each visitor's slot in variant pools.
    "wagtail_gan.pools.VisitorCookieMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SANDBOX_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "sandbox.wsgi.application"

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # Web + worker write concurrently: IMMEDIATE transactions avoid "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }

REDIS_URL = os.environ.get("WAGTAIL_GAN_REDIS_URL")
HUEY = huey_settings(DATA_DIR, redis_url=REDIS_URL, immediate=False)

# The renditions cache must be shared by the web and worker processes, or the web keeps
# serving the fallback after the worker has swapped in the real rendition.
if REDIS_URL:
    _shared_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
else:
    _shared_cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": {**_shared_cache, "TIMEOUT": 600},
}

AUTH_PASSWORD_VALIDATORS = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "wagtail-gan sandbox"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif", "svg"]

WAGTAIL_GAN = {
    "MODELS_DIR": os.environ.get("WAGTAIL_GAN_MODELS_DIR", str(DATA_DIR / "gan-models")),
    "PENDING_DIR": str(DATA_DIR / "gan-private"),
    "DEVICE": os.environ.get("WAGTAIL_GAN_DEVICE", "auto"),
    "PREGENERATE_SPECS": [],
}

# C2PA content credentials: the sandbox signs every generated output with a development CA
# made by `manage.py gan_c2pa_devcert --dir <DATA_DIR>/c2pa` (scripts/demo.sh runs it), and the
# "Check an image" page trusts that CA. Without those files outputs are stored unsigned.
C2PA_DIR = DATA_DIR / "c2pa"
if all((C2PA_DIR / name).exists() for name in ("chain.pem", "key.pem", "ca.pem")):
    WAGTAIL_GAN.update(
        C2PA_CERT_CHAIN=str(C2PA_DIR / "chain.pem"),
        C2PA_PRIVATE_KEY=str(C2PA_DIR / "key.pem"),
        C2PA_TRUST_ANCHORS=str(C2PA_DIR / "ca.pem"),
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "wagtail_gan": {"handlers": ["console"], "level": "INFO"},
        "huey": {"handlers": ["console"], "level": "INFO"},
    },
}
