"""Admin URLs of the editor actions, registered under /admin/gan/ by ``wagtail_hooks``."""

from django.urls import path

from . import editor, menu, models

app_name = "wagtail_gan_admin"

urlpatterns = [
    path("images/<int:image_id>/variant/", editor.generate_variant, name="generate_variant"),
    path("images/<int:image_id>/interpret/", editor.interpret_instruction, name="interpret"),
    path("jobs/awaiting/", menu.awaiting_review, name="awaiting"),
    path("jobs/<int:job_id>/", editor.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", editor.job_status_view, name="job_status"),
    path("jobs/<int:job_id>/output/<int:index>/", editor.job_output, name="job_output"),
    path("jobs/<int:job_id>/keep/", editor.keep, name="job_keep"),
    path("jobs/<int:job_id>/discard/", editor.discard, name="job_discard"),
    path("jobs/<int:job_id>/cancel/", editor.cancel, name="job_cancel"),
    path("generate/", editor.generate_image, name="generate"),
    path("models/", models.models_index, name="models"),
    path("models/status/", models.models_status, name="models_status"),
    path("models/<str:model_id>/pin/remove/", models.model_unpin, name="model_unpin"),
    path("models/<str:model_id>/<str:action>/", models.model_action, name="model_action"),
]
