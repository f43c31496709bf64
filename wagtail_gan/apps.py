from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .models_zoo import registry


class WagtailGanConfig(AppConfig):
    name = "wagtail_gan"
    label = "wagtail_gan"
    verbose_name = _("Wagtail GAN")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (  # noqa: PLC0415 - they import models: only once the app registry is ready
            checks,  # noqa: F401  (registers system checks)
            tasks,  # noqa: F401  (the queue seam: receives wagtail_gan.queue.work_requested)
        )
        from .models_admin.pins import pinned_revision  # noqa: PLC0415 - imports models
        from .signal_handlers import register_signal_handlers  # noqa: PLC0415 - as above

        register_signal_handlers()
        # Revisions pinned on the Models page (database) for the registry's ``pinned``.
        registry.set_pin_lookup(pinned_revision)
