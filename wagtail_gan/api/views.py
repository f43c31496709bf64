"""REST API views: the catalogue, jobs, image provenance, the schema. Web tier: no ML
imports; jobs run on the Huey worker (submitting them: ``submit.py``).

Every failure is a 4xx with a JSON body: ``{"detail": "..."}`` or field errors
``{"<field>": ["message"]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.db.models import Prefetch
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from wagtail.images import get_image_model

from wagtail_gan import jobs
from wagtail_gan.jobs import MAX_COUNT
from wagtail_gan.jobs.outputs import serve_output
from wagtail_gan.models import GenerationJob, Variant

from . import catalog
from .base import AUTH_ERRORS, ERROR_RESPONSE, GanAPIView, GanListView, api_doc, field_error
from .permissions import (
    get_visible_image,
    parse_pk,
    visible_images,
    visible_jobs,
)
from .serializers import (
    RENDITIONS,
    ErrorSerializer,
    JobSerializer,
    VariantSerializer,
)

# --- catalogue --------------------------------------------------------------------------------


class ModelsView(GanAPIView):
    """Every registry entry (built-in, site, dropped-in file) and whether it is installed."""

    @api_doc(
        operation_id="models_list",
        summary="Models in the registry, with their installed state",
        responses={200: catalog.ModelInfoSerializer(many=True), **AUTH_ERRORS},
    )
    def get(self, request):
        return Response(catalog.ModelInfoSerializer(catalog.list_models(), many=True).data)


class OperationsView(GanAPIView):
    """The operation-spec grammar, the 26 styles, upscale models and the limits."""

    @api_doc(
        operation_id="operations_retrieve",
        summary="Valid operation specs, style names and limits",
        responses={200: catalog.OperationsSerializer, **AUTH_ERRORS},
    )
    def get(self, request):
        return Response(catalog.OperationsSerializer(catalog.operations()).data)


# --- jobs -------------------------------------------------------------------------------------

JOB_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Job id.")


@extend_schema_view(get=api_doc(
    operation_id="jobs_list",
    summary="Your generation jobs (all jobs for superusers), newest first",
    parameters=[
        OpenApiParameter("status", str, enum=list(GenerationJob.Status.values)),
        OpenApiParameter("kind", str, enum=list(GenerationJob.Kind.values)),
    ],
    responses={
        200: JobSerializer(many=True),
        400: OpenApiResponse(ErrorSerializer, description="Unknown status or kind."),
        **AUTH_ERRORS,
    },
))
class JobListView(GanListView):
    """Your jobs, newest first (superusers: everyone's); filter by status and kind."""

    serializer_class = JobSerializer
    queryset = GenerationJob.objects.none()

    def get_queryset(self):
        results = get_image_model().objects.prefetch_renditions(*RENDITIONS.values())
        qs = visible_jobs(self.request.user).select_related("user").prefetch_related(
            Prefetch("result_image", queryset=results),
            "variants__image", "variants__job", "variants__user", "variants__source_image",
        )
        for name, choices in (("status", GenerationJob.Status), ("kind", GenerationJob.Kind)):
            value = self.request.query_params.get(name)
            if value is None:
                continue
            if value not in choices.values:
                raise ValidationError(
                    field_error(name, f"Unknown {name} {value!r}; choose from "
                                + ", ".join(choices.values) + ".")
                )
            qs = qs.filter(**{name: value})
        return qs.order_by("-created_at", "-pk")


def get_job_or_404(request, pk) -> GenerationJob:
    job = None
    number = parse_pk(pk)
    if number is not None:
        job = visible_jobs(request.user).filter(pk=number).first()
    if job is None:
        raise NotFound(f"No job {pk} that you can see.")
    return job


class JobOutputView(GanAPIView):
    """A pending output's file, for the job's owner (and superusers) only."""

    @api_doc(
        operation_id="jobs_output",
        summary="Download a pending output (private; image bytes)",
        parameters=[JOB_ID],
        responses={(200, "image/*"): OpenApiResponse(description="The image file."),
                   404: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def get(self, request, pk, index):
        return serve_output(get_job_or_404(request, pk), index)


class JobDetailView(GanAPIView):
    """A job you started (superusers: any job): follow it, or cancel it while queued."""

    def get_job(self, request, pk) -> GenerationJob:
        return get_job_or_404(request, pk)

    @api_doc(
        operation_id="jobs_retrieve",
        summary="Status, progress, error, result and provenance of a job",
        parameters=[JOB_ID],
        responses={200: JobSerializer, 404: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def get(self, request, pk: str):
        job = self.get_job(request, pk)
        return Response(JobSerializer(job, context={"request": request}).data)

    @api_doc(
        operation_id="jobs_cancel",
        summary="Cancel a queued job",
        parameters=[JOB_ID],
        responses={
            200: JobSerializer,
            404: ERROR_RESPONSE,
            409: OpenApiResponse(ErrorSerializer, description="The job is no longer queued."),
            **AUTH_ERRORS,
        },
    )
    def delete(self, request, pk: str):
        job = self.get_job(request, pk)
        if not jobs.cancel_job(job, request.user):
            job.refresh_from_db()
            return Response(
                {"detail": f"Only queued jobs can be cancelled; this job is {job.status}."},
                status=status.HTTP_409_CONFLICT,
            )
        job.refresh_from_db()
        return Response(JobSerializer(job, context={"request": request}).data)


class KeepRequestSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=MAX_COUNT - 1,
        help_text="Which candidate to keep (generate jobs make up to 4).",
    )


class Review(NamedTuple):
    """What ``POST jobs/{id}/keep/`` or ``discard/`` does: the jobs service's function (called
    with the job, the user and the validated ``request`` body), and what the schema says."""

    act: Callable
    request: type[serializers.Serializer] | None
    summary: str
    description: str
    refused: str  # when it answers 400


REVIEWS = {
    "keep": Review(
        jobs.keep_job, KeepRequestSerializer,
        "Keep an output: it becomes a library image with a Variant provenance record",
        "Save a finished job's output as a new library image, with its provenance.",
        "Nothing to keep, or bad index."),
    "discard": Review(
        jobs.discard_job, None, "Discard a job's outputs (cancels it while queued)",
        "Drop a job's pending outputs (a queued job is cancelled); nothing enters the library.",
        "The job is still running."),
}


class ReviewSchema(AutoSchema):
    """The OpenAPI operation of the review that ``JobReviewView``'s URL names."""

    def review(self) -> Review:
        return REVIEWS[self.view.review]

    def get_operation_id(self):
        return f"jobs_{self.view.review}"

    def get_summary(self):
        return self.review().summary

    def get_description(self):
        return self.review().description

    def get_override_parameters(self):
        return [JOB_ID]

    def get_request_serializer(self):
        return self.review().request

    def get_response_serializers(self):
        return {
            200: JobSerializer,
            400: OpenApiResponse(ErrorSerializer, description=self.review().refused),
            404: ERROR_RESPONSE,
            **AUTH_ERRORS,
        }


class JobReviewView(GanAPIView):
    """Keep or discard a finished job's outputs (``as_view(review="keep")`` or ``"discard"``);
    the answer is the job."""

    review = ""
    schema = ReviewSchema()

    def post(self, request, pk: str):
        job = get_job_or_404(request, pk)
        review = REVIEWS[self.review]
        data = {}
        if review.request is not None:
            serializer = review.request(data=self.json_object(request))
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        try:
            review.act(job, request.user, **data)
        except jobs.JobError as exc:
            raise ValidationError(field_error(exc.field, str(exc))) from exc
        job.refresh_from_db()
        return Response(JobSerializer(job, context={"request": request}).data)


# --- image provenance -------------------------------------------------------------------------


@extend_schema_view(get=api_doc(
    operation_id="images_variants_list",
    summary="Images generated from this image, with their provenance",
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Image id.")],
    responses={200: VariantSerializer(many=True), 404: ERROR_RESPONSE, **AUTH_ERRORS},
))
class ImageVariantsView(GanListView):
    """Provenance of the images generated from an image you can see."""

    serializer_class = VariantSerializer
    queryset = Variant.objects.none()

    def get_queryset(self):
        pk = self.kwargs["pk"]
        image = get_visible_image(self.request.user, pk)
        if image is None:
            raise NotFound(f"No image {pk} that you can see.")
        return (
            Variant.objects.filter(source_image=image, image__in=visible_images(self.request.user))
            .select_related("image", "job", "user", "source_image")
            .order_by("-created_at", "-pk")
        )


# --- schema -----------------------------------------------------------------------------------


class SchemaView(SpectacularAPIView):
    """OpenAPI 3 schema of this API (YAML; ``?format=json`` for JSON). Public."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    custom_settings = {
        "TITLE": "wagtail-gan API",
        "DESCRIPTION": "Generate image variants and new images, follow jobs, list models "
        "and operations. Token (`Authorization: Token <key>`) or session authentication; "
        "users need access to the Wagtail admin.",
        "VERSION": "1",
        "PREPROCESSING_HOOKS": ["wagtail_gan.api.schema.only_gan_endpoints"],
        "COMPONENT_SPLIT_REQUEST": True,
        # Jobs, video jobs and model tasks have a "status" and a "kind" of their own.
        "ENUM_NAME_OVERRIDES": {
            "StatusEnum": "wagtail_gan.models.JobStatus",
            "KindEnum": "wagtail_gan.models.GenerationJob.Kind",
            "VideoJobKindEnum": "wagtail_gan.models.VideoJob.Kind",
            "ModelTaskStatusEnum": "wagtail_gan.models.ModelTask.Status",
        },
    }
