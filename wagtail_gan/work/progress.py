"""Progress and heartbeats of a running job, for every job kind.

The engine calls the reporter with a fraction (tiles, denoising steps). It writes the job's
progress (when the model has a progress field) at most ~5 times a second, and refreshes the
job's heartbeat field every ``interval`` seconds, so the sweeper can tell a long run from a
dead worker.
"""

from __future__ import annotations

import time

from django.utils import timezone

from wagtail_gan.conf import gan_settings

HEARTBEAT_SECONDS = 30
PROGRESS_MIN_INTERVAL = 0.2


def heartbeat_interval(timeout: float) -> float:
    """Seconds between heartbeats: 30, or a quarter of the sweeper's ``timeout`` if that is less."""
    return min(HEARTBEAT_SECONDS, max(0.05, float(timeout) / 4))


class ProgressReporter:
    def __init__(self, rows, *, heartbeat_field: str, progress_field: str | None = None,
                 low: int = 0, high: int = 100, interval: float = HEARTBEAT_SECONDS):
        # ``rows``: a queryset of the one job row (filtered on the status it must still have).
        self.rows = rows
        self.heartbeat_field = heartbeat_field
        self.progress_field = progress_field
        self.low, self.high = low, high
        self.interval = interval
        self.last_value = -1
        self.last_time = 0.0
        self.last_beat = time.monotonic()

    def __call__(self, fraction: float) -> None:
        try:
            fraction = min(1.0, max(0.0, float(fraction)))
        except (TypeError, ValueError):
            return
        now = time.monotonic()
        if now - self.last_beat >= self.interval:
            self.last_beat = now
            self.rows.update(**{self.heartbeat_field: timezone.now()})
        if self.progress_field is None:
            return
        value = int(self.low + (self.high - self.low) * fraction)
        if value <= self.last_value or (now - self.last_time < PROGRESS_MIN_INTERVAL
                                        and value < self.high):
            return
        self.last_value, self.last_time = value, now
        self.rows.filter(**{f"{self.progress_field}__lt": value}).update(
            **{self.progress_field: value})


def job_reporter(model, job_id: int) -> ProgressReporter:
    """The reporter of a running ``Job`` row: its ``progress`` from 1 to 99 (the lifecycle
    sets 100 when it succeeds) and its heartbeat, as long as it is still running."""
    return ProgressReporter(
        model.objects.filter(pk=job_id, status="running"), heartbeat_field="heartbeat_at",
        progress_field="progress", low=1, high=99,
        interval=heartbeat_interval(gan_settings.JOB_HEARTBEAT_TIMEOUT))
