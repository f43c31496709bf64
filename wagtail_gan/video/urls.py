"""Admin URLs of video (registered under ``admin/gan/video/`` by ``wagtail_hooks``)."""

from django.urls import path

from . import views

app_name = "wagtail_gan_video"
urlpatterns = [
    path("interpolate/<str:media_id>/", views.interpolate_view, name="interpolate"),
    path("clip/", views.clip_view, name="clip"),
    path("jobs/<int:pk>/", views.job_view, name="job"),
    path("jobs/<int:pk>/cancel/", views.cancel_view, name="job_cancel"),
]
