"""REST API views: the catalogue, jobs, image provenance, the schema. Web tier: no ML
imports; jobs run on the Huey worker (submitting them: ``submit.py``).

Every failure is a 4xx with a JSON body: ``{"detail": "..."}`` or field errors
``{"<field>": ["message"]}``.
"""

from __future__ import annotations

import mimetypes

from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from wagtail.images import get_image_model

from wagtail_gan import jobs
from wagtail_gan.jobs import MAX_COUNT
from wagtail_gan.models import GenerationJob, Variant
from wagtail_gan.operations import parse_int

from . import catalog
from .base import AUTH_ERRORS, ERROR_RESPONSE, GanAPIView, Pagination, api_doc, field_error
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


class JobListView(GanAPIView, generics.ListAPIView):
    """Your jobs, newest first (superusers: everyone's); filter by status and kind."""

    serializer_class = JobSerializer
    pagination_class = Pagination
    queryset = GenerationJob.objects.none()  # for the schema; get_queryset filters by user

    @api_doc(
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
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

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
        from django.http import FileResponse

        from wagtail_gan.jobs.outputs import pending_storage

        job = get_job_or_404(request, pk)
        outputs = job.outputs or []
        number = parse_int(index, 0, len(outputs) - 1)
        if number is None or not isinstance(outputs[number], dict):
            raise NotFound(f"Job {job.pk} has no output {index}.")
        name = outputs[number].get("name") or ""
        storage = pending_storage()
        if not name or not storage.exists(name):
            raise NotFound("The output file is gone (kept or discarded).")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


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


class JobKeepView(GanAPIView):
    """Save a finished job's output as a new library image, with its provenance."""

    @api_doc(
        operation_id="jobs_keep",
        summary="Keep an output: it becomes a library image with a Variant provenance record",
        parameters=[JOB_ID],
        request=KeepRequestSerializer,
        responses={
            200: JobSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Nothing to keep, or bad index."),
            404: ERROR_RESPONSE,
            **AUTH_ERRORS,
        },
    )
    def post(self, request, pk: str):
        job = get_job_or_404(request, pk)
        serializer = KeepRequestSerializer(data=self.json_object(request))
        serializer.is_valid(raise_exception=True)
        try:
            jobs.keep_job(job, request.user, serializer.validated_data["index"])
        except jobs.JobError as exc:
            raise ValidationError(field_error(exc.field, str(exc))) from exc
        job.refresh_from_db()
        return Response(JobSerializer(job, context={"request": request}).data)


class JobDiscardView(GanAPIView):
    """Drop a job's pending outputs (a queued job is cancelled); nothing enters the library."""

    @api_doc(
        operation_id="jobs_discard",
        summary="Discard a job's outputs (cancels it while queued)",
        parameters=[JOB_ID],
        request=None,
        responses={
            200: JobSerializer,
            400: OpenApiResponse(ErrorSerializer, description="The job is still running."),
            404: ERROR_RESPONSE,
            **AUTH_ERRORS,
        },
    )
    def post(self, request, pk: str):
        job = get_job_or_404(request, pk)
        try:
            jobs.discard_job(job, request.user)
        except jobs.JobError as exc:
            raise ValidationError(field_error(exc.field, str(exc))) from exc
        job.refresh_from_db()
        return Response(JobSerializer(job, context={"request": request}).data)


# --- image provenance -------------------------------------------------------------------------


class ImageVariantsView(GanAPIView, generics.ListAPIView):
    """Provenance of the images generated from an image you can see."""

    serializer_class = VariantSerializer
    pagination_class = Pagination
    queryset = Variant.objects.none()  # for the schema; get_queryset does the work

    @api_doc(
        operation_id="images_variants_list",
        summary="Images generated from this image, with their provenance",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Image id.")],
        responses={200: VariantSerializer(many=True), 404: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

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
    }
