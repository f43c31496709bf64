"""What the API lists: registry models with their installed state, and the operation grammar.

Torch-free: reads ``wagtail_gan.models_zoo.registry`` (metadata and files on disk only).
"""

from __future__ import annotations

from rest_framework import serializers

from wagtail_gan import operations as registry_operations
from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs import MAX_COUNT, MAX_SEED
from wagtail_gan.models_admin.pins import pin_state
from wagtail_gan.models_zoo import registry
from wagtail_gan.work import budget


class ModelInfoSerializer(serializers.Serializer):
    id = serializers.CharField()
    task = serializers.CharField(help_text="upscale, translate, stylize, edit or generate.")
    family = serializers.CharField()
    summary = serializers.CharField(
        help_text="What the model does, in plain words (the Models page's main line).")
    description = serializers.CharField(help_text="Technical description.")
    scale = serializers.IntegerField(allow_null=True)
    installed = serializers.BooleanField()
    installable_offline = serializers.BooleanField()
    licence = serializers.CharField()
    speed = serializers.CharField(help_text="fast or slow (on a CPU worker), '' if unknown.")
    citation = serializers.CharField()
    size = serializers.IntegerField(allow_null=True, help_text="Download size in bytes.")
    sha256 = serializers.CharField(
        allow_null=True, help_text="Published sha256 (None: trust-on-first-use or none)."
    )
    installed_sha256 = serializers.CharField(allow_null=True)
    source = serializers.CharField(help_text="Where the weights come from.")
    sources = serializers.ListField(child=serializers.CharField())
    default_for = serializers.ListField(
        child=serializers.CharField(), help_text="Specs this model runs by default."
    )
    origin = serializers.CharField(help_text="builtin, site or dropin.")
    revision = serializers.CharField(
        help_text="Hugging Face models: the revision installs use ('' when none is pinned).")
    pinned_by = serializers.CharField(
        help_text="Who pins that revision: page (the Models page or PUT models/{id}/pin/, "
                  "kept in the database), settings, builtin, or ''.")


def list_models() -> list[dict]:
    out = []
    for entry in sorted(registry.entries().values(), key=lambda e: (e.task, e.id)):
        manifest = registry.read_manifest(entry.id) or {}
        pin = pin_state(entry)
        if pin["pinned_by"] == "page":
            entry = registry.pinned(entry, pin["revision"])
        sources = [s.describe() for s in entry.sources]
        out.append({
            "id": entry.id,
            "task": entry.task,
            "family": entry.family,
            "summary": entry.summary,
            "description": entry.description,
            "scale": entry.scale,
            "installed": registry.is_installed(entry),
            "installable_offline": entry.installable_offline,
            "licence": entry.licence,
            "speed": entry.speed or "",
            "citation": entry.citation,
            "size": entry.size,
            "sha256": entry.published_sha256,
            "installed_sha256": manifest.get("sha256") or None,
            "source": sources[0] if sources else "",
            "sources": sources,
            "default_for": list(entry.default_for),
            "origin": entry.origin,
            **pin,
        })
    return out


class OperationInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    enabled = serializers.BooleanField()
    available = serializers.BooleanField(
        help_text="Its default model is installed (false: an administrator must install it)."
    )
    variant = serializers.BooleanField(help_text="Usable with POST variants/.")
    rendition_filter = serializers.BooleanField(
        help_text="Usable in Wagtail image tags as well as in the API."
    )
    specs = serializers.ListField(child=serializers.CharField())
    synopsis = serializers.CharField()
    description = serializers.CharField()


class StyleSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField(allow_null=True)
    spec = serializers.CharField()


class LimitsSerializer(serializers.Serializer):
    max_input_pixels = serializers.IntegerField()
    max_output_pixels = serializers.IntegerField()
    max_instruction_length = serializers.IntegerField()
    seed_min = serializers.IntegerField()
    seed_max = serializers.IntegerField()
    strength = serializers.CharField(help_text="Range of the 'strength' field.")
    winterize_strength = serializers.CharField()
    max_count = serializers.IntegerField(help_text="Most candidates per generate job.")
    throttle_rate = serializers.CharField(
        allow_null=True, help_text="The per-user budget of jobs (JOB_RATE: API and admin "
        "together), e.g. '30/hour'; null when unlimited."
    )


class OperationsSerializer(serializers.Serializer):
    """The operations, their extras (``Operation.catalog_extras``: the fields declared here
    for the schema, and any an operation added) and the limits."""

    operations = OperationInfoSerializer(many=True)
    upscale_models = serializers.ListField(child=serializers.CharField())
    styles = StyleSerializer(many=True)
    painters = serializers.ListField(child=serializers.CharField())
    limits = LimitsSerializer()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {**data, **{k: v for k, v in instance.items() if k not in data}}


def operations() -> dict:
    """The operation registry as the API lists it (``GET operations/``)."""
    ops = registry_operations.all_operations()
    job_rate = budget.rate()
    extras = {key: value for op in ops for key, value in op.catalog_extras().items()}
    return {
        **extras,
        "operations": [
            {
                "name": op.name,
                "label": str(op.label),
                "enabled": op.is_enabled(),
                "available": op.is_available(),
                "variant": op.variant,
                "rendition_filter": op.filter,
                "specs": op.grammar(),
                "synopsis": op.synopsis or op.name,
                "description": op.description,
            }
            for op in ops
        ],
        "limits": {
            "max_input_pixels": gan_settings.MAX_INPUT_PIXELS,
            "max_output_pixels": gan_settings.MAX_OUTPUT_PIXELS,
            "max_instruction_length": gan_settings.MAX_INSTRUCTION_LENGTH,
            "seed_min": 0,
            "seed_max": MAX_SEED,
            "strength": "greater than 0, at most 1",
            "winterize_strength": "1..100 in the spec (winterize-70)",
            "max_count": MAX_COUNT,
            "throttle_rate": job_rate.text if job_rate else None,
        },
    }
