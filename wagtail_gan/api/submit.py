"""Submitting jobs through the API: ``POST variants/`` and ``POST generate/`` here, the video
endpoints' POSTs in ``video/api.py``, all through ``SubmitView.post``. The views only shape the
request and the answer; validation, permissions, idempotency and the per-user budget
(``work.budget``: 429 with ``Retry-After`` here) are the jobs services'
(``wagtail_gan.jobs``, ``wagtail_gan.video.submit``)."""

from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.response import Response

from wagtail_gan import jobs
from wagtail_gan.exceptions import NotVisible
from wagtail_gan.models import GenerationJob
from wagtail_gan.permissions import collections_user_can_add_to
from wagtail_gan.work.budget import OverBudget
from wagtail_gan.work.submit import key_in_use

from .base import AUTH_ERRORS, GanAPIView, api_doc, field_error
from .permissions import (
    get_visible_image,
)
from .serializers import (
    ErrorSerializer,
    GenerateRequestSerializer,
    JobSerializer,
    VariantRequestSerializer,
)

# --- submitting jobs --------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

SUBMIT_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input (field errors)."),
    401: AUTH_ERRORS[401],
    403: OpenApiResponse(
        ErrorSerializer,
        description="No admin access, or no permission on the image or collection.",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such image that you can see."),
    422: OpenApiResponse(
        ErrorSerializer, description="Idempotency-Key already used for a different request."
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many GPU jobs; see the Retry-After header."
    ),
}
IDEMPOTENCY_PARAM = OpenApiParameter(
    IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False,
    description="A unique key (1..255 printable ASCII characters) per logical request: "
    "repeating a POST with the same key returns the same job instead of a new one.",
)


class SubmitView(GanAPIView):
    """The one POST of every job-submitting endpoint (images and video): the request
    serializer, the Idempotency-Key, 429 with ``Retry-After`` over the user's budget
    (``work.budget``, counted inside the job's transaction), 422 on a reused key, 202 with
    the job and its ``Location``. A subclass declares its
    ``request_serializer``, ``job_serializer`` and ``submit()``; ``@submit_doc`` documents it."""

    request_serializer: type[serializers.Serializer]
    job_serializer: type[serializers.Serializer] = JobSerializer
    responses = {202: JobSerializer, **SUBMIT_ERRORS}

    def idempotency_key(self, request) -> str:
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if key and not IDEMPOTENCY_KEY_RE.match(key):
            raise ValidationError(field_error(
                IDEMPOTENCY_HEADER, "Use 1 to 255 printable ASCII characters, no spaces."
            ))
        return key

    def job_location(self, request, job) -> str:
        return reverse("wagtail_gan_api:job-detail", args=[job.pk])

    def job_response(self, request, job, *, replayed: bool) -> Response:
        response = Response(
            self.job_serializer(job, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )
        response["Location"] = request.build_absolute_uri(self.job_location(request, job))
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def post(self, request):
        serializer = self.request_serializer(data=self.json_object(request))
        serializer.is_valid(raise_exception=True)
        key = self.idempotency_key(request)
        try:
            job = self.submit(request, serializer.validated_data, key)
        except NotVisible as exc:  # said exactly like a missing one
            raise NotFound(field_error(exc.field, str(exc))) from exc
        except OverBudget as exc:  # the one per-user budget (work.budget), admin jobs too
            raise Throttled(wait=exc.retry_after, detail=f"Request was throttled. {exc}") \
                from exc
        except jobs.IdempotencyConflict as exc:
            return Response(field_error(IDEMPOTENCY_HEADER, str(exc)),
                            status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        except jobs.JobError as exc:
            if key_in_use(request.user, key):
                # A key already used, now with a request that does not even validate: it is
                # another request (422), whichever kind, image or video, used the key first.
                return Response(field_error(IDEMPOTENCY_HEADER, str(jobs.IdempotencyConflict())),
                                status=status.HTTP_422_UNPROCESSABLE_ENTITY)
            raise ValidationError(field_error(exc.field, str(exc))) from exc
        return self.job_response(request, job, replayed=job.replayed)

    def resolve_collection(self, request, pk):
        """The target collection, looked up among those the user may add images to: one they
        may not add to is answered exactly like a missing one (400, the same message)."""
        if pk is None:
            return None
        collection = collections_user_can_add_to(request.user).filter(pk=pk).first()
        if collection is None:
            raise ValidationError(field_error(
                "collection", f"No collection {pk} that you can add images to."))
        return collection

    def submit(self, request, data: dict, key: str):
        """Create (or replay) the job from the validated ``data``, passing the
        Idempotency-Key to the jobs service; returns the job."""
        raise NotImplementedError


def submit_doc(operation_id: str, summary: str):
    """The OpenAPI operation of a ``SubmitView`` subclass's POST, from what it declares."""

    def decorate(view: type[SubmitView]) -> type[SubmitView]:
        return extend_schema_view(post=api_doc(
            operation_id=operation_id, summary=summary, request=view.request_serializer,
            parameters=[IDEMPOTENCY_PARAM], responses=view.responses,
        ))(view)

    return decorate


@submit_doc("variants_create", "Generate a variant of an image (202: the job is queued)")
class VariantCreateView(SubmitView):
    """Queue a variant of an image: an operation spec or a free-text instruction."""

    request_serializer = VariantRequestSerializer

    def submit(self, request, data, key):
        image = get_visible_image(request.user, data["image"])
        if image is None:
            raise NotFound(field_error("image", f"No image {data['image']} that you can see."))
        # The jobs service validates the rest and checks "change" on the image and "add" on
        # the target collection.
        return jobs.submit_variant_job(
            user=request.user,
            image=image,
            operation=data.get("operation") or None,
            instruction=data.get("instruction") or None,
            seed=data.get("seed"),
            strength=data.get("strength"),
            collection=self.resolve_collection(request, data.get("collection")),
            idempotency_key=key,
            source=GenerationJob.Source.API,
            mask=data.get("mask"),
        )


@submit_doc("generate_create", "Generate new images from a text prompt (202: the job is queued)")
class GenerateView(SubmitView):
    """Queue text-to-image generation of 1..4 candidates into a collection."""

    request_serializer = GenerateRequestSerializer

    def submit(self, request, data, key):
        return jobs.submit_generate_job(
            user=request.user,
            prompt=data["prompt"],
            collection=self.resolve_collection(request, data["collection"]),
            seed=data.get("seed"),
            count=data.get("count", 1),
            idempotency_key=key,
            source=GenerationJob.Source.API,
        )
