"""The test settings on a site whose image model is a custom one from the start
(``WAGTAILIMAGES_IMAGE_MODEL = "custom_image.CustomImage"``): wagtail-gan's migrations point
its foreign keys at it (swappable dependencies), and the web-tier suite runs against it in a
nox session (noxfile.py)."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = ["tests.custom_image", *INSTALLED_APPS]
WAGTAILIMAGES_IMAGE_MODEL = "custom_image.CustomImage"
