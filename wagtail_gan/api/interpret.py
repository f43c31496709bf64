"""``POST interpret/``: how an instruction would run, before anything is queued.

The same interpretation ``POST variants/`` records on the job (``interpretation``), with
whether each step can run on this site. When the router is unsure, ``ambiguous`` is true and
``alternatives`` lists the readings to choose from (send the chosen one's ``spec`` as
``operation`` to ``POST variants/``); ``not_understood`` lists the parts of the instruction
that were not understood.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from wagtail_gan.instructions import InstructionError, interpret, runnable
from wagtail_gan.jobs.validation import lookup_image_by_title

from .base import AUTH_ERRORS, GanAPIView, api_doc, field_error
from .serializers import ErrorSerializer, _text_length_error


class InterpretRequestSerializer(serializers.Serializer):
    instruction = serializers.CharField(
        max_length=10_000,
        help_text="The editor's words, e.g. 'paint it like Monet and double the size'. At "
        "most WAGTAIL_GAN['MAX_INSTRUCTION_LENGTH'] characters.",
    )

    def validate_instruction(self, value: str) -> str:
        return _text_length_error(value, "instruction")


class StepSerializer(serializers.Serializer):
    operation = serializers.CharField()
    spec = serializers.CharField(help_text="The step's operation spec (upscale-2x ...).")
    label = serializers.CharField()
    params = serializers.DictField()
    confidence = serializers.FloatField(min_value=0, max_value=1)
    explanation = serializers.CharField()
    available = serializers.BooleanField(help_text="Its model is installed and it is enabled.")


class ReadingSerializer(serializers.Serializer):
    operation = serializers.CharField(help_text="The operation, or 'steps' for several.")
    spec = serializers.CharField(help_text="Send this as 'operation' to POST variants/.")
    label = serializers.CharField()
    params = serializers.DictField()
    confidence = serializers.FloatField(min_value=0, max_value=1)
    explanation = serializers.CharField()
    steps = StepSerializer(many=True)
    available = serializers.BooleanField()


class InterpretationSerializer(ReadingSerializer):
    ambiguous = serializers.BooleanField(
        help_text="The router is unsure: choose one of 'alternatives'.")
    alternatives = ReadingSerializer(many=True, help_text="The readings to choose from, the "
                                     "plan itself first (empty when it is sure).")
    not_understood = serializers.ListField(child=serializers.CharField(),
                                           help_text="Parts of the instruction not understood.")
    question = serializers.CharField(required=False)


class InterpretResponseSerializer(serializers.Serializer):
    interpretation = InterpretationSerializer()


class InterpretView(GanAPIView):
    """How an instruction would run: its steps, confidence, alternatives, what was not
    understood."""

    @api_doc(
        operation_id="interpret_create",
        summary="Interpret an instruction (nothing is queued)",
        request=InterpretRequestSerializer,
        responses={200: InterpretResponseSerializer,
                   400: OpenApiResponse(ErrorSerializer, description="Empty or too long."),
                   **AUTH_ERRORS},
    )
    def post(self, request):
        serializer = InterpretRequestSerializer(data=self.json_object(request))
        serializer.is_valid(raise_exception=True)
        try:
            plan = interpret(serializer.validated_data["instruction"],
                             image_lookup=lookup_image_by_title(request.user))
        except InstructionError as exc:
            raise ValidationError(field_error("instruction", str(exc))) from exc
        return Response({"interpretation": plan.as_dict(available=runnable)})
