"""Request and response serializers of the REST API (no ML imports).

Declared one way: a serializer of a model's rows is a ``ModelSerializer`` whose ``Meta.fields``
is what the API shows; the columns' types come from the model, and only what the model cannot
say is declared (a property, a renamed or computed field, the shape of a JSON column). What is
not a row (requests, errors, the catalogue) is a plain ``Serializer``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from wagtail.images import get_image_model

from wagtail_gan import operations
from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs import MAX_COUNT, MAX_SEED
from wagtail_gan.models import GenerationJob, Variant
from wagtail_gan.provenance import rights_summary

SEED_MAX = MAX_SEED
RENDITIONS = {"thumbnail": "max-165x165", "medium": "max-800x800"}


def operation_help() -> str:
    """The operation grammar for the API docs, from the operation registry (lazily: the
    registry loads the sites' operation hooks, whose modules may import this one)."""
    forms = [op.synopsis or op.name for op in operations.all_operations()
             if op.variant and not op.needs_instruction]
    return ("An operation spec, as in image tags: " + "; ".join(forms)
            + ". GET operations/ lists them; free-form edits are sent as 'instruction'.")


def _text_length_error(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise serializers.ValidationError(f"The {field} is empty.")
    limit = gan_settings.MAX_INSTRUCTION_LENGTH
    if len(value) > limit:
        raise serializers.ValidationError(
            f"The {field} is {len(value)} characters long; the limit is {limit}."
        )
    return value


class VariantRequestSerializer(serializers.Serializer):
    image = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="Id of the source image."
    )
    operation = serializers.CharField(
        required=False, max_length=255, trim_whitespace=True, help_text=lazy(operation_help, str)()
    )
    instruction = serializers.CharField(
        required=False,
        max_length=10_000,
        help_text="A free-text edit instead of an operation, e.g. 'make it snowy'. "
        "At most WAGTAIL_GAN['MAX_INSTRUCTION_LENGTH'] characters (default 500).",
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SEED_MAX,
        help_text="Random seed (recorded in the provenance); random when omitted.",
    )
    strength = serializers.FloatField(
        required=False, allow_null=True, min_value=0.0, max_value=1.0,
        help_text="Effect strength, greater than 0 and at most 1, where the operation "
        "supports it (winterize: scales the spec's 1..100).",
    )
    collection = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
        help_text="Collection for the result; the source image's collection when omitted.",
    )
    mask = serializers.JSONField(
        required=False, allow_null=True,
        help_text="For erase: {\"rects\": [[x, y, w, h], ...], \"strokes\": [{\"points\": "
        "[[x, y], ...], \"radius\": r}], \"png\": \"<base64 PNG>\", \"size\": [w, h], "
        "\"grow\": px} (any of rects, strokes, png; pixels of the source image).",
    )

    def validate_instruction(self, value: str) -> str:
        return _text_length_error(value, "instruction")

    def validate_operation(self, value: str) -> str:
        # Request shape, not validation of the spec (the jobs service does that): a free-form
        # edit's prompt is the instruction.
        try:
            spec = operations.parse_spec(value)
        except operations.InvalidSpec:
            return value
        if spec.op.needs_instruction:
            raise serializers.ValidationError(
                "Send a free-form edit as 'instruction', not as an operation.")
        return value

    def validate(self, attrs):
        has_op = bool(attrs.get("operation"))
        has_text = bool(attrs.get("instruction"))
        if has_op == has_text:
            raise serializers.ValidationError(
                {"operation": ["Give either an operation or an instruction (exactly one)."]}
            )
        return attrs


class GenerateRequestSerializer(serializers.Serializer):
    prompt = serializers.CharField(
        max_length=10_000,
        help_text="What to draw. At most WAGTAIL_GAN['MAX_INSTRUCTION_LENGTH'] characters.",
    )
    collection = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="Collection the new images go to."
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SEED_MAX
    )
    count = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=MAX_COUNT,
        help_text="Number of candidates (1..4).",
    )

    def validate_prompt(self, value: str) -> str:
        return _text_length_error(value, "prompt")


def absolute_url(context, url: str) -> str:
    """Media URLs from a local storage are paths: make them absolute for API clients."""
    request = context.get("request") if context else None
    if request is not None and url.startswith("/"):
        return request.build_absolute_uri(url)
    return url


class ErrorSerializer(serializers.Serializer):
    """``{"detail": "..."}`` or ``{"<field>": ["message", ...], ...}``."""

    detail = serializers.CharField(required=False)


class RenditionUrlsSerializer(serializers.Serializer):
    thumbnail = serializers.CharField(allow_null=True)
    medium = serializers.CharField(allow_null=True)


class ImageRefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="URL of the original file.")
    renditions = serializers.SerializerMethodField()

    class Meta:
        model = get_image_model()
        fields = ["id", "title", "width", "height", "url", "renditions"]
        read_only_fields = fields

    def get_url(self, image) -> str:
        try:
            return absolute_url(self.context, image.file.url)
        except ValueError:
            return ""

    @extend_schema_field(RenditionUrlsSerializer)
    def get_renditions(self, image) -> dict:
        renditions = {}
        for name, spec in RENDITIONS.items():
            try:
                renditions[name] = absolute_url(self.context, image.get_rendition(spec).url)
            except (OSError, ValueError):  # SourceImageIOError is an OSError
                renditions[name] = None
        return renditions


class OutputSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    url = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    seed = serializers.IntegerField(
        allow_null=True, help_text="Seed that produced this output (None: deterministic)."
    )


class SourceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    exists = serializers.BooleanField(help_text="False once the source image was deleted.")


class ModelRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    sha256 = serializers.CharField()
    licence = serializers.CharField()


class RightsSerializer(serializers.Serializer):
    derived_from = SourceRefSerializer(allow_null=True, help_text="None for text-to-image.")
    statement = serializers.CharField(
        help_text="E.g. 'Derived from “Harbour”; the source's rights apply.'"
    )
    rights = serializers.DictField(
        help_text="The source's rights fields (copyright, credit, licence...), where the image "
        "model has them."
    )
    model = ModelRefSerializer()


class VariantSerializer(serializers.ModelSerializer):
    image_title = serializers.CharField(source="image.title")
    job = serializers.UUIDField(source="job.uuid", allow_null=True, default=None)
    user = serializers.CharField(source="user.get_username", allow_null=True, default=None)
    params = serializers.DictField()
    interpretation = serializers.DictField()
    rights = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id", "image", "image_title", "source_image", "source_image_pk", "source_title",
            "job", "operation", "model_id", "model_sha256", "params", "seed", "instruction",
            "interpretation", "user", "created_at", "duration", "rights",
        ]
        read_only_fields = fields
        extra_kwargs = {"image": {"help_text": "The generated image."}}

    @extend_schema_field(RightsSerializer)
    def get_rights(self, variant):
        return rights_summary(variant)


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    user = serializers.CharField(source="user.get_username", allow_null=True, default=None)
    result_image = ImageRefSerializer(allow_null=True)
    outputs = serializers.SerializerMethodField()
    duration = serializers.FloatField(allow_null=True)
    params = serializers.DictField()
    interpretation = serializers.DictField()
    variants = VariantSerializer(many=True, help_text="Provenance of the images kept from this job.")
    waiting_for_model = serializers.SerializerMethodField(
        help_text="Status \"waiting\": the model (registry id) the job waits for; it runs by "
                  "itself once an administrator installs it (null otherwise).")

    class Meta:
        model = GenerationJob
        fields = [
            "id", "uuid", "url", "kind", "status", "progress", "operation", "instruction",
            "interpretation", "params", "seed", "count", "user", "source_image", "collection",
            "result_image", "outputs", "model_id", "model_sha256", "error", "created_at",
            "started_at", "finished_at", "duration", "variants", "waiting_for_model",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_waiting_for_model(self, job):
        return job.waiting_for if job.status == GenerationJob.Status.WAITING else None

    @extend_schema_field(serializers.URLField())
    def get_url(self, job):
        path = reverse("wagtail_gan_api:job-detail", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OutputSerializer(many=True))
    def get_outputs(self, job):
        """Generated files waiting to be kept or discarded: private, downloaded from
        ``jobs/{id}/outputs/{index}/`` with the same authentication (never a public URL)."""
        result = []
        for index, output in enumerate(job.outputs or []):
            if not isinstance(output, dict) or not output.get("name"):
                continue
            path = reverse("wagtail_gan_api:job-output", args=[job.pk, index])
            result.append({
                "index": index,
                "url": absolute_url(self.context, path),
                "width": output.get("width"),
                "height": output.get("height"),
                "seed": output.get("seed"),
            })
        return result

