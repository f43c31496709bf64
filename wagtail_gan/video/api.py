"""REST endpoints of video (DRF, same auth/JSON rules as ``wagtail_gan.api``). To serve them,
add to ``wagtail_gan/api/urls.py`` before the catch-all::

    path("video/", include("wagtail_gan.video.api")),

* ``POST video/interpolate/`` ``{"media": id, "factor": 2|4, "mode": "fps"|"slowmo",
  "engine": "model"|"blend"}`` -> 202 with the job;
* ``POST video/clips/`` ``{"images": [id, id, ...], "seconds": 3, "fps": 24, "hold": 0.5,
  "engine": ..., "title": ...}`` -> 202 with the job;
* ``GET video/jobs/{id}/`` -> status, progress, frames done / total, result media id,
  provenance (model id, weights sha256, parameters, C2PA state);
* ``DELETE video/jobs/{id}/`` -> cancel a queued job (or one whose worker died); 409 when it
  runs on a live worker or has ended.

The POSTs take an ``Idempotency-Key`` header and count against the one per-user budget of
jobs (``JOB_RATE``, ``work.budget``: image and video jobs, API and admin) like ``api.submit``'s.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, path, re_path, reverse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from wagtail_gan.api.base import (
    AUTH_ERRORS,
    ERROR_RESPONSE,
    GanAPIView,
    api_doc,
    field_error,
    not_found,
)
from wagtail_gan.api.permissions import parse_pk, visible_images
from wagtail_gan.api.serializers import ErrorSerializer, StrictFloatField, StrictIntegerField
from wagtail_gan.api.submit import SUBMIT_ERRORS, SubmitView, submit_doc
from wagtail_gan.api.views import JOB_ID
from wagtail_gan.models import VideoJob
from wagtail_gan.permissions import can_manage_job

from . import library, submit
from .validation import MAX_TITLE

ENGINES = ["model", "blend", "auto"]


class InterpolateRequestSerializer(serializers.Serializer):
    media = StrictIntegerField(help_text="Id of a wagtailmedia video.")
    factor = serializers.ChoiceField([2, 4], required=False, default=2)
    mode = serializers.ChoiceField(["fps", "slowmo"], required=False,
                                   help_text="fps: factor x frame rate; slowmo: factor x longer.")
    engine = serializers.ChoiceField(ENGINES, required=False)


class ClipRequestSerializer(serializers.Serializer):
    images = serializers.ListField(child=StrictIntegerField(), min_length=2,
                                   help_text="Ids of 2 or more library images, in order.")
    seconds = StrictFloatField(required=False)
    fps = StrictIntegerField(required=False)
    hold = StrictFloatField(required=False, help_text="Seconds each still is held (at most "
                            "the clip's length, with room to move between the stills).")
    engine = serializers.ChoiceField(ENGINES, required=False)
    title = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TITLE)


class VideoJobSerializer(serializers.ModelSerializer):
    # What the API answers and the admin's job page polls (``job_state``).
    label = serializers.CharField()
    result_media = serializers.IntegerField(source="result_media_id", allow_null=True)
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = VideoJob
        fields = ["id", "kind", "label", "status", "progress", "frames_done", "frames_total",
                  "error", "result_media", "result_url", "model_id", "model_sha256", "c2pa"]
        read_only_fields = fields

    def get_result_url(self, job) -> str:
        if not job.result_media_id:
            return ""
        try:
            return reverse("wagtailmedia:edit", args=[job.result_media_id])
        except NoReverseMatch:  # wagtailmedia's admin not installed
            return ""


def job_state(job: VideoJob) -> dict:
    return VideoJobSerializer(job).data


class VideoSubmitView(SubmitView):
    """The image endpoints' POST (serializer, Idempotency-Key, the per-user budget's 429,
    422 on a reused key), answering with the video job."""

    job_serializer = VideoJobSerializer
    responses = {**SUBMIT_ERRORS, 202: VideoJobSerializer,
                 404: OpenApiResponse(ErrorSerializer, description=(
                     "No such image or media item that you can see."))}

    def job_location(self, request, job) -> str:
        return reverse(f"{request.resolver_match.namespace}:job", args=[job.pk])


@submit_doc("video_interpolate", "Interpolate a video (202: queued)")
class InterpolateView(VideoSubmitView):
    request_serializer = InterpolateRequestSerializer

    def submit(self, request, data, key):
        # The policy first: a media item the user may not see is answered like a missing one
        # (404, the same message), before anything about it is said.
        return submit.submit_interpolate_job(
            user=request.user, media=library.get_video(request.user, data["media"]),
            factor=data.get("factor", 2), mode=data.get("mode"), engine=data.get("engine"),
            source=VideoJob.Source.API, idempotency_key=key)


@submit_doc("video_clip", "A clip from still images (202: queued)")
class ClipView(VideoSubmitView):
    request_serializer = ClipRequestSerializer

    def submit(self, request, data, key):
        ids = data["images"]
        # Images the user may not see are answered like missing ones (404, the same message).
        found = visible_images(request.user).in_bulk([i for i in ids if parse_pk(i)])
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(field_error("images", f"No image {missing[0]} that you can see."))
        return submit.submit_stills_job(
            user=request.user, images=[found[i] for i in ids], seconds=data.get("seconds"),
            fps=data.get("fps"), hold=data.get("hold"), engine=data.get("engine"),
            title=str(data.get("title") or ""), source=VideoJob.Source.API,
            idempotency_key=key)


class JobView(GanAPIView):
    def get_job(self, request, pk) -> VideoJob:
        number = parse_pk(pk)
        job = VideoJob.objects.filter(pk=number).first() if number is not None else None
        if job is None or not can_manage_job(request.user, job):
            raise NotFound()
        return job

    @api_doc(operation_id="video_job", summary="A video job: status, frames, result",
             parameters=[JOB_ID], responses={200: VideoJobSerializer, 404: ERROR_RESPONSE, **AUTH_ERRORS})
    def get(self, request, pk):
        return Response(job_state(self.get_job(request, pk)))

    @api_doc(operation_id="video_job_cancel",
             summary="Cancel a queued video job (or a running one whose worker died)",
             parameters=[JOB_ID],
             responses={200: VideoJobSerializer, 404: ERROR_RESPONSE,
                        409: OpenApiResponse(ErrorSerializer, description=(
                            "The job runs on a live worker or has ended.")),
                        **AUTH_ERRORS})
    def delete(self, request, pk):
        job = self.get_job(request, pk)
        if not submit.cancel_job(job, request.user):
            return Response({"detail": f"Only a queued job (or one whose worker stopped) can "
                                       f"be cancelled; this job is {job.status}."},
                            status=status.HTTP_409_CONFLICT)
        return Response(job_state(job))


app_name = "wagtail_gan_video_api"
urlpatterns = [
    path("interpolate/", InterpolateView.as_view(), name="interpolate"),
    path("clips/", ClipView.as_view(), name="clips"),
    path("jobs/<str:pk>/", JobView.as_view(), name="job"),
    re_path(r"^.*$", not_found),
]
