"""Submitting jobs through the API: ``POST variants/`` and ``POST generate/``. The views only
shape the request and the answer; validation, permissions, idempotency and the throttle's
admission are the jobs service's (``wagtail_gan.jobs``)."""

from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from wagtail.models import Collection

from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob

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
from .throttling import GpuJobThrottle

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
    kind: str = ""
    request_serializer: type[serializers.Serializer]

    def idempotency_key(self, request) -> str:
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if key and not IDEMPOTENCY_KEY_RE.match(key):
            raise ValidationError(field_error(
                IDEMPOTENCY_HEADER, "Use 1 to 255 printable ASCII characters, no spaces."
            ))
        return key

    def job_response(self, request, job, *, replayed: bool) -> Response:
        response = Response(
            JobSerializer(job, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )
        response["Location"] = request.build_absolute_uri(
            reverse("wagtail_gan_api:job-detail", args=[job.pk])
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def post(self, request):
        serializer = self.request_serializer(data=self.json_object(request))
        serializer.is_valid(raise_exception=True)
        key = self.idempotency_key(request)
        throttle = GpuJobThrottle()

        def admit() -> None:  # called by the jobs service inside the job's transaction
            throttle.admit(request.user)

        try:
            job = self.submit(request, serializer.validated_data, key, admit)
        except jobs.IdempotencyConflict as exc:
            return Response(field_error(IDEMPOTENCY_HEADER, str(exc)),
                            status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        except jobs.JobError as exc:
            raise ValidationError(field_error(exc.field, str(exc))) from exc
        return self.job_response(request, job, replayed=job.replayed)

    def resolve_collection(self, pk):
        if pk is None:
            return None
        collection = Collection.objects.filter(pk=pk).first()
        if collection is None:
            raise ValidationError(field_error("collection", f"No collection with id {pk}."))
        return collection

    def submit(self, request, data, key):
        raise NotImplementedError


class VariantCreateView(SubmitView):
    """Queue a variant of an image: an operation spec or a free-text instruction."""

    kind = GenerationJob.Kind.VARIANT
    request_serializer = VariantRequestSerializer

    @api_doc(
        operation_id="variants_create",
        summary="Generate a variant of an image (202: the job is queued)",
        request=VariantRequestSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={202: JobSerializer, **SUBMIT_ERRORS},
    )
    def post(self, request):
        return super().post(request)

    def submit(self, request, data, key, admit):
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
            collection=self.resolve_collection(data.get("collection")),
            idempotency_key=key,
            admit=admit,
            source=GenerationJob.Source.API,
            mask=data.get("mask"),
        )


class GenerateView(SubmitView):
    """Queue text-to-image generation of 1..4 candidates into a collection."""

    kind = GenerationJob.Kind.GENERATE
    request_serializer = GenerateRequestSerializer

    @api_doc(
        operation_id="generate_create",
        summary="Generate new images from a text prompt (202: the job is queued)",
        request=GenerateRequestSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={202: JobSerializer, **SUBMIT_ERRORS},
    )
    def post(self, request):
        return super().post(request)

    def submit(self, request, data, key, admit):
        return jobs.submit_generate_job(
            user=request.user,
            prompt=data["prompt"],
            collection=self.resolve_collection(data["collection"]),  # "add" checked by jobs
            seed=data.get("seed"),
            count=data.get("count", 1),
            idempotency_key=key,
            admit=admit,
            source=GenerationJob.Source.API,
        )
