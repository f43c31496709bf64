"""Exceptions shared across wagtail-gan's feature packages (web tier, no ML imports)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class JobError(ValueError):
    """A user-facing validation error; ``field`` names the offending input (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Unavailable(JobError):
    """The operation's model is not installed on this site (``label``: what cannot run)."""

    def __init__(self, message: str, field: str | None, label: str):
        super().__init__(message, field)
        self.label = label


class NotVisible(JobError, PermissionDenied):
    """Something (an image, a media item) missing or that the user may not see: both are
    answered exactly alike, one message (the API: 404 with a field error)."""


class IdempotencyConflict(JobError):
    """An idempotency key already used for a different request."""

    def __init__(self, message: str = "This key was already used for a different request."):
        super().__init__(message, "idempotency_key")


class PermanentFailure(Exception):
    """A job that must not be retried (bad input such as a missing style image)."""


class LimitSkip(PermanentFailure):
    """Input or output beyond MAX_INPUT_PIXELS / MAX_OUTPUT_PIXELS: not sent to a model."""
