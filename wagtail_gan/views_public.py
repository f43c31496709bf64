"""Public (non-admin) views."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .renditions.status import MAX_STATUS_URLS, status_for_urls


@require_GET
def rendition_status(request):
    """``GET /gan/renditions/status/?src=<rendition url>&src=...`` (at most 50).

    Answers ``{"renditions": {<url>: {"status", "url", "width", "height"}}}`` for the URLs
    that a worker has claimed; ``status`` is "ready" once the ML version has been swapped in
    and ``url`` is then the URL to show. Used by ``gan-renditions.js``; two indexed queries
    per request, never cached.
    """
    urls = request.GET.getlist("src")[:MAX_STATUS_URLS]
    response = JsonResponse({"renditions": status_for_urls(urls)})
    response["Cache-Control"] = "no-store"
    return response
