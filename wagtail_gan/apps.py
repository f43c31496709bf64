from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailGanConfig(AppConfig):
    name = "wagtail_gan"
    label = "wagtail_gan"
    verbose_name = _("Wagtail GAN")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers system checks)
            signals,  # noqa: F401  (connects image upload/replace handlers)
        )
