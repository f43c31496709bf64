"""Signal handlers, connected from ``AppConfig.ready`` (as Wagtail does with its own
``register_signal_handlers``)."""

from __future__ import annotations

from django.core.signals import request_finished
from django.db.models.signals import post_delete, post_save, pre_save
from wagtail.images import get_image_model

from .conf import gan_settings
from .jobs.policy import propose_improvements
from .models import RenditionJob
from .renditions.pregenerate import request_specs
from .renditions.request import flush_deferred
from .renditions.sweeper import on_job_deleted


def _wants_new_files() -> bool:
    return bool(gan_settings.PREGENERATE_SPECS or gan_settings.IMPROVE_ON_UPLOAD)


def on_image_pre_save(sender, instance, **kwargs) -> None:
    if _wants_new_files() and instance.pk and not kwargs.get("raw"):
        instance._gan_previous_file = (
            sender.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
        )


def on_image_saved(sender, instance, created, **kwargs) -> None:
    """A new or replaced image file: pre-generate renditions, propose improvements."""
    if not _wants_new_files() or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "file" not in update_fields:
        return
    if not created and getattr(instance, "_gan_previous_file", None) == instance.file.name:
        return
    request_specs(instance)
    propose_improvements(instance)


def register_signal_handlers() -> None:
    Image = get_image_model()
    pre_save.connect(on_image_pre_save, sender=Image, dispatch_uid="wagtail_gan_image_pre_save")
    post_save.connect(on_image_saved, sender=Image, dispatch_uid="wagtail_gan_pregenerate")
    post_delete.connect(on_job_deleted, sender=RenditionJob, dispatch_uid="wagtail_gan_job_files")
    request_finished.connect(flush_deferred, dispatch_uid="wagtail_gan_flush_deferred_jobs")
