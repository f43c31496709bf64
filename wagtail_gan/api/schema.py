"""drf-spectacular hooks: the schema at ``schema/`` describes this API only."""

from __future__ import annotations

from .views import GanAPIView


def only_gan_endpoints(endpoints, **kwargs):
    return [
        (path, regex, method, callback)
        for path, regex, method, callback in endpoints
        if issubclass(getattr(callback, "cls", object), GanAPIView)
    ]
