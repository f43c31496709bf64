"""What every API view shares: JSON only, token + session auth, admin users only, field errors,
schema helpers, pagination."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from .permissions import (
    IsWagtailEditor,
    authenticators,
)
from .serializers import (
    ErrorSerializer,
)

ERROR_RESPONSE = OpenApiResponse(ErrorSerializer)
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
