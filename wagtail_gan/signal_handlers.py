"""Signal handlers, connected from ``AppConfig.ready`` (as Wagtail does with its own
``register_signal_handlers``)."""

from __future__ import annotations


def register_signal_handlers() -> None:
    from django.core.signals import request_finished
    from django.db.models.signals import post_delete, post_save, pre_save
    from wagtail.images import get_image_model

    from .models import RenditionJob
    from .renditions.pregenerate import on_image_pre_save, on_image_saved
    from .renditions.request import flush_deferred
    from .renditions.sweeper import on_job_deleted

    Image = get_image_model()
    pre_save.connect(on_image_pre_save, sender=Image, dispatch_uid="wagtail_gan_image_pre_save")
    post_save.connect(on_image_saved, sender=Image, dispatch_uid="wagtail_gan_pregenerate")
    post_delete.connect(on_job_deleted, sender=RenditionJob, dispatch_uid="wagtail_gan_job_files")
    request_finished.connect(flush_deferred, dispatch_uid="wagtail_gan_flush_deferred_jobs")
