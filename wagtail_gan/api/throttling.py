"""Per-user throttle for GPU jobs submitted through the API.

The rate is ``WAGTAIL_GAN["API_THROTTLE_RATE"]`` (DRF syntax: ``"30/hour"``, ``"5/min"``;
``None`` disables it), read on every request so ``override_settings`` works.

Unlike DRF's stock ``UserRateThrottle``, only *accepted* jobs count: a request refused by
validation or permissions, or an ``Idempotency-Key`` replay, costs nothing. The history lives
in Django's default cache (as with DRF's throttles), so several web processes need a shared
cache (Redis, database) for the limit to be global.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import SimpleRateThrottle

from wagtail_gan.conf import gan_settings


class GpuJobThrottle(SimpleRateThrottle):
    scope = "wagtail_gan_jobs"

    def get_rate(self):
        return gan_settings.API_THROTTLE_RATE or None

    def parse_rate(self, rate):
        try:
            return super().parse_rate(rate)
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            raise ImproperlyConfigured(
                f"WAGTAIL_GAN['API_THROTTLE_RATE'] = {rate!r} is not a rate such as "
                "'30/hour', '5/min', '100/day' (or None to disable)."
            ) from exc

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def allow_request(self, request, view) -> bool:
        """Check the history without recording this request (``record`` does that)."""
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return True

    def wait(self) -> float | None:
        """Seconds until the oldest job that still counts leaves the window."""
        if not self.history or not self.num_requests:
            return float(self.duration)
        blocking = self.history[min(self.num_requests, len(self.history)) - 1]
        return max(1.0, blocking + self.duration - self.now)

    def record(self) -> None:
        """Count one accepted job (call after ``allow_request`` returned True)."""
        if self.rate is None:
            return
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
