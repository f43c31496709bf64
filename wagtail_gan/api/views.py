"""REST API views. Web tier: no ML imports; jobs run on the Huey worker.

Every failure is a 4xx with a JSON body: ``{"detail": "..."}`` or field errors
``{"<field>": ["message"]}``.
"""

from __future__ import annotations

import re

from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.images import get_image_model
from wagtail.models import Collection

from wagtail_gan import jobs
from wagtail_gan.jobs import MAX_COUNT
from wagtail_gan.models import GenerationJob, Variant

from . import catalog
from .permissions import (
    IsWagtailEditor,
    authenticators,
    get_visible_image,
    parse_pk,
    visible_images,
    visible_jobs,
)
from .serializers import (
    RENDITIONS,
    ErrorSerializer,
    GenerateRequestSerializer,
    JobSerializer,
    VariantRequestSerializer,
    VariantSerializer,
)
from .throttling import GpuJobThrottle

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

_ERR = OpenApiResponse(ErrorSerializer)
AUTH_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorSerializer, description="No access to the Wagtail admin."),
}


def api_doc(**kwargs):
    """``extend_schema`` for a view method, based on drf-spectacular's AutoSchema whatever the
    site's ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` is."""

    def decorator(method):
        method.kwargs = {"schema": AutoSchema}
        return extend_schema(**kwargs)(method)

    return decorator


def field_error(field: str | None, message: str) -> dict:
    return {field or "non_field_errors": [message]}


class GanAPIView(APIView):
    """Base: token + session authentication, admin users only, JSON in and out."""

    permission_classes = [IsWagtailEditor]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    schema = AutoSchema()

    def get_authenticators(self):
        return authenticators()


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


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


class JobDetailView(GanAPIView):
    """A job you started (superusers: any job): follow it, or cancel it while queued."""

    def get_job(self, request, pk) -> GenerationJob:
        return get_job_or_404(request, pk)

    @api_doc(
        operation_id="jobs_retrieve",
        summary="Status, progress, error, result and provenance of a job",
        parameters=[JOB_ID],
        responses={200: JobSerializer, 404: _ERR, **AUTH_ERRORS},
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
            404: _ERR,
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
            404: _ERR,
            **AUTH_ERRORS,
        },
    )
    def post(self, request, pk: str):
        job = get_job_or_404(request, pk)
        body = request.data if isinstance(request.data, dict) else {}
        serializer = KeepRequestSerializer(data=body)
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
            404: _ERR,
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
        responses={200: VariantSerializer(many=True), 404: _ERR, **AUTH_ERRORS},
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


# --- submitting jobs --------------------------------------------------------------------------

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
        data_in = request.data if isinstance(request.data, dict) else None
        if data_in is None:
            raise ValidationError(field_error(None, "Send a JSON object."))
        serializer = self.request_serializer(data=data_in)
        serializer.is_valid(raise_exception=True)
        key = self.idempotency_key(request)
        throttle = GpuJobThrottle()

        def admit() -> None:  # called by the jobs service only when it creates a job
            if not throttle.allow_request(request, self):
                self.throttled(request, throttle.wait())

        try:
            job = self.submit(request, serializer.validated_data, key, admit)
        except jobs.IdempotencyConflict as exc:
            return Response(field_error(IDEMPOTENCY_HEADER, str(exc)),
                            status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        except jobs.JobError as exc:
            raise ValidationError(field_error(exc.field, str(exc))) from exc
        if not job.replayed:
            throttle.record()
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

