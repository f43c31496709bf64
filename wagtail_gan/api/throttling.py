"""Per-user throttle for GPU jobs submitted through the API.

The rate is ``WAGTAIL_GAN["API_THROTTLE_RATE"]`` (DRF syntax: ``"30/hour"``, ``"5/min"``;
``None`` disables it), read on every request so ``override_settings`` works.

Image and video jobs share the budget (``POST variants/``, ``generate/``, ``video/...``):
one query counts both tables. Only *accepted* jobs count: a request refused by validation or permissions, or an
``Idempotency-Key`` replay, costs nothing. The count is the user's API jobs in the database
within the window, taken inside the transaction that creates the job with the user's row
locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock, with the IMMEDIATE
transaction mode the settings require): concurrent requests cannot overrun the limit, and
no shared cache is needed for several web processes.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from wagtail_gan.conf import gan_settings
from wagtail_gan.models import GenerationJob, VideoJob


class GpuJobThrottle:
    def __init__(self) -> None:
        rate = gan_settings.API_THROTTLE_RATE or None
        self.num_requests = self.duration = None
        if rate is not None:
            try:
                self.num_requests, self.duration = SimpleRateThrottle.parse_rate(None, rate)
            except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
                raise ImproperlyConfigured(
                    f"WAGTAIL_GAN['API_THROTTLE_RATE'] = {rate!r} is not a rate such as "
                    "'30/hour', '5/min', '100/day' (or None to disable)."
                ) from exc

    def admit(self, user) -> None:
        """Raise ``Throttled`` (429 + Retry-After) when ``user`` is at the limit. Call inside
        the transaction that creates the job (the jobs service's ``admit`` hook)."""
        if self.num_requests is None:
            return
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).only("pk"))
        now = timezone.now()
        since = now - timedelta(seconds=self.duration)
        images = GenerationJob.objects.filter(
            user=user, source=GenerationJob.Source.API, created_at__gt=since)
        videos = VideoJob.objects.filter(
            user=user, source=VideoJob.Source.API, created_at__gt=since)
        recent = list(  # one query over both tables (UNION ALL keeps equal timestamps)
            images.order_by().values_list("created_at", flat=True).union(
                videos.order_by().values_list("created_at", flat=True), all=True,
            ).order_by("created_at")
        )
        if len(recent) >= self.num_requests:
            # The job that must leave the window before one more fits.
            leaves = recent[len(recent) - self.num_requests] + timedelta(seconds=self.duration)
            raise Throttled(wait=max(1, int((leaves - now).total_seconds()) + 1))
