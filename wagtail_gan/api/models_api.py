"""The admin's Models page actions through the API, for superusers and holders of
``wagtail_gan.manage_models``: ``POST models/{id}/{install|verify|remove}/`` (202 with the
task; 409 while another task of the model runs; an install's ``revision`` is kept as the
model's pin), ``PUT``/``DELETE models/{id}/pin/`` (pin a Hugging Face revision, or forget it)
and ``GET models/tasks/{id}/`` (progress: bytes or steps, ETA). The work runs on the worker
(``models_admin.service``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from wagtail_gan.models import ModelTask
from wagtail_gan.models_admin.access import can_manage_models
from wagtail_gan.models_admin.service import (
    ActionRefused,
    pin_model,
    queue_action,
    task_state,
    unpin_model,
)
from wagtail_gan.models_zoo import registry

from .base import AUTH_ERRORS, ERROR_RESPONSE, GanAPIView, api_doc, field_error
from .permissions import parse_pk


class ModelActionRequestSerializer(serializers.Serializer):
    revision = serializers.CharField(
        required=False, allow_blank=True,
        help_text="install of an unpinned Hugging Face model: the 40-hex commit to install "
                  "(kept as the model's pin until DELETE models/{id}/pin/).")


class PinRequestSerializer(serializers.Serializer):
    revision = serializers.CharField(help_text="The 40-hex Hugging Face commit to pin.")


class PinSerializer(serializers.Serializer):
    revision = serializers.CharField(help_text="The revision in use ('' for none).")
    pinned_by = serializers.CharField(
        help_text="page (a pin kept in the database), settings, builtin or ''.")


class ModelTaskSerializer(serializers.ModelSerializer):
    # Describes models_admin.service.task_state(task): the API answers with that dict, which
    # the Models page polls too.
    action_label = serializers.CharField(source="get_action_display")
    status_label = serializers.CharField(source="get_status_display")
    active = serializers.BooleanField(source="is_active")
    percent = serializers.IntegerField(allow_null=True)
    eta_seconds = serializers.IntegerField(
        allow_null=True, help_text="Seconds left at the rate so far (running tasks).")
    finished_at = serializers.CharField(allow_null=True, help_text="ISO 8601.")

    class Meta:
        model = ModelTask
        fields = ["id", "model_id", "action", "action_label", "status", "status_label",
                  "active", "done_bytes", "total_bytes", "percent", "progress_unit",
                  "eta_seconds", "message", "error_kind", "revision", "finished_at"]
        read_only_fields = fields
        extra_kwargs = {
            "error_kind": {"help_text": "hash, network, unpinned or ''."},
            "done_bytes": {"help_text": "Progress so far, in progress_unit."},
            "total_bytes": {"help_text": "The total, in progress_unit (null: unknown)."},
            "progress_unit": {"help_text": "bytes (downloads) or steps (conversions)."},
        }


MODEL_ID = OpenApiParameter(
    "id", {"type": "string", "pattern": registry.MODEL_ID_RE.pattern, "maxLength": 128},
    OpenApiParameter.PATH, description="Registry model id (letters, digits, '_' and '.').")
ACTION = OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ModelTask.Action.values))
TASK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Model task id.")


class ManageModelsView(GanAPIView):
    def check_permissions(self, request):
        super().check_permissions(request)
        if not can_manage_models(request.user):
            raise PermissionDenied("Only administrators may install, verify or remove models.")


class ModelActionView(ManageModelsView):
    @api_doc(
        operation_id="models_action",
        summary="Install, verify or remove a model on the worker (202: queued)",
        parameters=[MODEL_ID, ACTION], request=ModelActionRequestSerializer,
        responses={202: ModelTaskSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE,
                   409: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def post(self, request, pk: str, action: str):
        serializer = ModelActionRequestSerializer(data=self.json_object(request))
        serializer.is_valid(raise_exception=True)
        try:
            task = queue_action(request.user, pk, action,
                                serializer.validated_data.get("revision", ""))
        except ActionRefused as exc:
            if exc.status == 404:
                raise NotFound(exc.message) from None
            return Response(field_error(exc.field, exc.message), status=exc.status)
        return Response(task_state(task), status=status.HTTP_202_ACCEPTED)


class ModelTaskView(ManageModelsView):
    @api_doc(
        operation_id="models_task",
        summary="A model task: status, bytes downloaded, the exact error",
        parameters=[TASK_ID],
        responses={200: ModelTaskSerializer, 404: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def get(self, request, pk: str):
        number = parse_pk(pk)
        task = ModelTask.objects.filter(pk=number).first() if number is not None else None
        if task is None:
            raise NotFound(f"No model task {pk}.")
        return Response(task_state(task))


class ModelPinView(ManageModelsView):
    """The Hugging Face revision pinned for a model (kept until removed; settings win)."""

    @api_doc(
        operation_id="models_pin",
        summary="Pin an unpinned Hugging Face model to a revision (kept for later installs)",
        parameters=[MODEL_ID], request=PinRequestSerializer,
        responses={200: PinSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def put(self, request, pk: str):
        serializer = PinRequestSerializer(data=self.json_object(request))
        serializer.is_valid(raise_exception=True)
        try:
            state = pin_model(request.user, pk, serializer.validated_data["revision"])
        except ActionRefused as exc:
            if exc.status == 404:
                raise NotFound(exc.message) from None
            return Response(field_error(exc.field, exc.message), status=exc.status)
        return Response(state)

    @api_doc(
        operation_id="models_unpin",
        summary="Forget the revision pinned for a model",
        parameters=[MODEL_ID],
        responses={204: None, 404: ERROR_RESPONSE, **AUTH_ERRORS},
    )
    def delete(self, request, pk: str):
        try:
            removed = unpin_model(request.user, pk)
        except ActionRefused as exc:
            raise NotFound(exc.message) from None
        if not removed:
            raise NotFound(f"No pin for {pk}.")
        return Response(status=status.HTTP_204_NO_CONTENT)
