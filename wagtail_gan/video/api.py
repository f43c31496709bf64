"""REST endpoints of video (DRF, same auth/JSON rules as ``wagtail_gan.api``). To serve them,
add to ``wagtail_gan/api/urls.py`` before the catch-all::

    path("video/", include("wagtail_gan.video.api")),

* ``POST video/interpolate/`` ``{"media": id, "factor": 2|4, "mode": "fps"|"slowmo",
  "engine": "model"|"blend"}`` -> 202 with the job;
* ``POST video/clips/`` ``{"images": [id, id, ...], "seconds": 3, "fps": 24, "hold": 0.5,
  "engine": ..., "title": ...}`` -> 202 with the job;
* ``GET video/jobs/{id}/`` -> status, progress, frames done / total, result media id,
  provenance (model id, weights sha256, parameters, C2PA state).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path, re_path
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from wagtail.images import get_image_model

from wagtail_gan.api.base import GanAPIView, field_error, not_found
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import VideoJob
from wagtail_gan.permissions import can_manage_job

from . import library, submit
from .views import job_state


def _job_response(job, code=status.HTTP_202_ACCEPTED):
    return Response(job_state(job), status=code)


class InterpolateView(GanAPIView):
    def post(self, request):
        data = self.json_object(request)
        try:
            media = library.get_video(data.get("media"))
            job = submit.submit_interpolate_job(
                user=request.user, media=media, factor=data.get("factor", 2),
                mode=data.get("mode"), engine=data.get("engine"),
                source=VideoJob.Source.API)
        except JobError as exc:
            return Response(field_error(exc.field, exc.message), status=400)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=403)
        return _job_response(job)


class ClipView(GanAPIView):
    def post(self, request):
        data = self.json_object(request)
        ids = data.get("images")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            return Response(field_error("images", "Give a list of image ids."), status=400)
        found = get_image_model().objects.in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            return Response(field_error("images", f"There is no image {missing[0]}."),
                            status=400)
        try:
            job = submit.submit_stills_job(
                user=request.user, images=[found[i] for i in ids], seconds=data.get("seconds"),
                fps=data.get("fps"), hold=data.get("hold"), engine=data.get("engine"),
                title=str(data.get("title") or ""), source=VideoJob.Source.API)
        except JobError as exc:
            return Response(field_error(exc.field, exc.message), status=400)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=403)
        return _job_response(job)


class JobView(GanAPIView):
    def get(self, request, pk):
        job = VideoJob.objects.filter(pk=int(pk)).first() if str(pk).isdigit() else None
        if job is None or not can_manage_job(request.user, job):
            raise NotFound()
        return _job_response(job, status.HTTP_200_OK)


app_name = "wagtail_gan_video_api"
urlpatterns = [
    path("interpolate/", InterpolateView.as_view(), name="interpolate"),
    path("clips/", ClipView.as_view(), name="clips"),
    path("jobs/<str:pk>/", JobView.as_view(), name="job"),
    re_path(r"^.*$", not_found),
]
