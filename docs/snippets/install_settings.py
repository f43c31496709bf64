# wagtail-gan: append this to your settings module (e.g. mysite/settings/base.py).
# It works whether BASE_DIR is a pathlib.Path or a str (os.path style).
import os

from wagtail_gan.queue import huey_settings

# wagtail_gan goes before wagtail.images: it extends Wagtail's image edit page.
INSTALLED_APPS = list(INSTALLED_APPS)
INSTALLED_APPS.insert(INSTALLED_APPS.index("wagtail.images"), "wagtail_gan")
INSTALLED_APPS += [app for app in ("rest_framework", "huey.contrib.djhuey")
                   if app not in INSTALLED_APPS]

# The queue that the worker (`python manage.py run_huey`) consumes: SqliteHuey in
# <BASE_DIR>/data (no server), or PriorityRedisHuey when WAGTAIL_GAN_REDIS_URL is set
# (pip install "wagtail-gan[redis]"; many workers on many machines share one queue).
HUEY = huey_settings(os.path.join(BASE_DIR, "data"))

WAGTAIL_GAN = {
    "DEVICE": "auto",  # cuda, then mps, then cpu
    # Model weights and the outputs waiting for review live in ~/.local/share/wagtail-gan
    # (outside your repository) unless you say otherwise; set both when the web server and
    # the worker run as different users or on different machines:
    # "MODELS_DIR": "/srv/wagtail-gan/models",
    # "PENDING_DIR": "/srv/wagtail-gan/pending",
}
