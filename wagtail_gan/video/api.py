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
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from wagtail.images import get_image_model

from wagtail_gan.api.base import (
    AUTH_ERRORS,
    ERROR_RESPONSE,
    GanAPIView,
    api_doc,
    field_error,
    not_found,
)
from wagtail_gan.api.permissions import parse_pk
from wagtail_gan.api.views import JOB_ID
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import VideoJob
from wagtail_gan.permissions import can_manage_job

from . import library, submit
from .views import job_state

ENGINES = ["model", "blend", "auto"]


class InterpolateRequestSerializer(serializers.Serializer):
    media = serializers.IntegerField(help_text="Id of a wagtailmedia video.")
    factor = serializers.ChoiceField([2, 4], required=False, default=2)
    mode = serializers.ChoiceField(["fps", "slowmo"], required=False,
                                   help_text="fps: factor x frame rate; slowmo: factor x longer.")
    engine = serializers.ChoiceField(ENGINES, required=False)


class ClipRequestSerializer(serializers.Serializer):
    images = serializers.ListField(child=serializers.IntegerField(), min_length=2,
                                   help_text="Ids of 2 or more library images, in order.")
    seconds = serializers.FloatField(required=False)
    fps = serializers.IntegerField(required=False)
    hold = serializers.FloatField(required=False, help_text="Seconds each still is held.")
    engine = serializers.ChoiceField(ENGINES, required=False)
    title = serializers.CharField(required=False, allow_blank=True)


class VideoJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    frames_done = serializers.IntegerField(allow_null=True)
    frames_total = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    result_media = serializers.IntegerField(allow_null=True)
    result_url = serializers.CharField(allow_blank=True)
    model_id = serializers.CharField(allow_blank=True)
    model_sha256 = serializers.CharField(allow_blank=True)
    c2pa = serializers.JSONField(allow_null=True)


SUBMIT_RESPONSES = {202: VideoJobSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE,
                    **AUTH_ERRORS}


def _job_response(job, code=status.HTTP_202_ACCEPTED):
    return Response(job_state(job), status=code)


class InterpolateView(GanAPIView):
    @api_doc(operation_id="video_interpolate", summary="Interpolate a video (202: queued)",
             request=InterpolateRequestSerializer, responses=SUBMIT_RESPONSES)
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
    @api_doc(operation_id="video_clip", summary="A clip from still images (202: queued)",
             request=ClipRequestSerializer, responses=SUBMIT_RESPONSES)
    def post(self, request):
        data = self.json_object(request)
        ids = data.get("images")
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) and parse_pk(i) for i in ids):
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
    @api_doc(operation_id="video_job", summary="A video job: status, frames, result",
             parameters=[JOB_ID], responses={200: VideoJobSerializer, 404: ERROR_RESPONSE, **AUTH_ERRORS})
    def get(self, request, pk):
        number = parse_pk(pk)
        job = VideoJob.objects.filter(pk=number).first() if number is not None else None
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
