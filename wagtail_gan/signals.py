"""Signal handlers (web tier). Features connect their receivers here."""


def _connect_rendition_receivers() -> None:
    from django.core.signals import request_finished
    from django.db.models.signals import post_delete, post_save, pre_save
    from wagtail.images import get_image_model

    from .models import RenditionJob
    from .renditions import flush_deferred, on_image_pre_save, on_image_saved, on_job_deleted

    Image = get_image_model()
    pre_save.connect(on_image_pre_save, sender=Image, dispatch_uid="wagtail_gan_image_pre_save")
    post_save.connect(on_image_saved, sender=Image, dispatch_uid="wagtail_gan_pregenerate")
    post_delete.connect(on_job_deleted, sender=RenditionJob, dispatch_uid="wagtail_gan_job_files")
    request_finished.connect(flush_deferred, dispatch_uid="wagtail_gan_flush_deferred_jobs")


_connect_rendition_receivers()
