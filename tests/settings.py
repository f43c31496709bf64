"""Test settings.

Backends come from the environment so the same suite runs on the embedded default and on
the production services:

* ``GAN_TEST_DB=sqlite`` (default) or ``postgres`` (127.0.0.1:5432, trust auth);
* queues are chosen per test (SqliteHuey always, Redis at 127.0.0.1:6379 where reachable).

The SQLite test database is a file, so a real ``run_huey`` consumer subprocess sees the
same data as the test (``GAN_TEST_DB_NAME`` points the subprocess at it).
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sandbox"))

from wagtail_gan.queue import huey_settings  # noqa: E402

BASE_DIR = ROOT
RUN_DIR = Path(os.environ.get("GAN_TEST_RUN_DIR") or tempfile.mkdtemp(prefix="gan-tests-"))
os.environ["GAN_TEST_RUN_DIR"] = str(RUN_DIR)

SECRET_KEY = "tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "home",
    "wagtail_gan",
    "tests.testapp",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    # wagtailmedia (the "video" extra): the library of videos that wagtail_gan.video uses.
    "wagtailmedia",
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
]

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT / "sandbox" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"extensions": ["wagtail.jinja2tags.core", "wagtail.images.jinja2tags.images"]},
    },
]

DB = os.environ.get("GAN_TEST_DB", "sqlite")
if DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("GAN_TEST_DB_NAME", "wagtail_gan"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            # GAN_TEST_PG_NAME: a test database of its own for a run beside another (parallel work).
            "TEST": {"NAME": os.environ.get("GAN_TEST_PG_NAME", "test_wagtail_gan")},
        }
    }
else:
    _sqlite_name = os.environ.get("GAN_TEST_DB_NAME", str(RUN_DIR / "test.sqlite3"))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _sqlite_name,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
            "TEST": {"NAME": _sqlite_name},
        }
    }

# One queue per test run, shared with the consumer subprocesses the tests start:
# GAN_TEST_QUEUE=sqlite (default, a SqliteHuey file in RUN_DIR) or redis (PriorityRedisHuey).
QUEUE = os.environ.get("GAN_TEST_QUEUE", "sqlite")
os.environ.setdefault("GAN_TEST_QUEUE_NAME", f"gan-tests-{os.getpid()}")
if QUEUE == "redis":
    HUEY = huey_settings(redis_url=os.environ.get("GAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
                         name=os.environ["GAN_TEST_QUEUE_NAME"])
else:
    HUEY = huey_settings(RUN_DIR, redis_url="", name=os.environ["GAN_TEST_QUEUE_NAME"])

_cache_dir = RUN_DIR / "cache"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(_cache_dir),
    },
}

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
STATIC_ROOT = RUN_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GAN_TEST_MEDIA_ROOT", RUN_DIR / "media"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

WAGTAIL_SITE_NAME = "wagtail-gan tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif", "svg"]

WAGTAIL_GAN = {
    "MODELS_DIR": os.environ.get("GAN_TEST_MODELS_DIR", str(RUN_DIR / "gan-models")),
    "PENDING_DIR": str(RUN_DIR / "gan-private"),
    "DEVICE": "cpu",
    "TORCH_THREADS": 1,
}
# Registry entries for subprocesses (consumer) of tests that use the tiny local models:
# a JSON dict like WAGTAIL_GAN["MODELS"] (see tests/models_zoo/fixtures.py tiny_models_dict).
if os.environ.get("GAN_TEST_EXTRA_MODELS"):
    import json

    WAGTAIL_GAN["MODELS"] = json.loads(os.environ["GAN_TEST_EXTRA_MODELS"])
# Extra WAGTAIL_GAN settings for subprocesses (e.g. short liveness intervals for a consumer a
# test kills): a JSON dict merged into WAGTAIL_GAN.
if os.environ.get("GAN_TEST_SETTINGS"):
    import json

    WAGTAIL_GAN.update(json.loads(os.environ["GAN_TEST_SETTINGS"]))
