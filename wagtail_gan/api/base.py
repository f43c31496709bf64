"""What every API view shares: JSON only, token + session auth, admin users only, field errors,
schema helpers, pagination."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics
from rest_framework.exceptions import APIException, ParseError
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


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, plus a 400 for JSON nested too deeply for Python's parser (which
    raises RecursionError, a 500 otherwise)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class GanAPIView(APIView):
    """Base: token + session authentication, admin users only, JSON in and out - errors too."""

    permission_classes = [IsWagtailEditor]
    renderer_classes = [JSONRenderer]
    parser_classes = [SafeJSONParser]
    schema = AutoSchema()

    def get_authenticators(self):
        return authenticators()

    def handle_exception(self, exc):
        # Django raises these while reading the body; DRF would let them become HTML 400s.
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge()
        elif isinstance(exc, SuspiciousOperation):
            exc = ParseError(str(exc) or "Bad request.")
        return super().handle_exception(exc)

    def json_object(self, request) -> dict:
        """The body as a JSON object ({} when empty); anything else is a 400."""
        data = request.data
        if not isinstance(data, dict):
            raise ParseError("Send a JSON object.")
        return data


@csrf_exempt
def not_found(request, *args, **kwargs):
    """A JSON 404 for any other URL under the API's prefix, whatever the method: it is exempt
    from the CSRF check (it changes nothing), so an unknown ``POST``/``DELETE`` gets this JSON
    instead of Django's HTML CSRF page. Known URLs answer an unsupported method with DRF's
    JSON 405."""
    return JsonResponse({"detail": "Not found."}, status=404)


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class GanListView(GanAPIView, generics.ListAPIView):
    """A paginated list. ``queryset`` is the model's empty one, for the schema: the rows come
    from ``get_queryset``, which filters what the user may see."""

    pagination_class = Pagination
