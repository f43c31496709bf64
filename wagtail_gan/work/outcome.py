"""What a worker or sweeper function returns; the Huey task in ``wagtail_gan.tasks`` acts on it
(retry the task later, re-queue jobs, purge a cache again). Worker code never enqueues."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    status: str
    # Run this job's task again in this many seconds (Huey ``RetryTask(delay=...)``).
    retry_in: float | None = None
    # Job ids (of the same kind) to put on the queue again.
    requeue: list[int] = field(default_factory=list)
    # Purge the rendition cache of this job again in this many seconds.
    purge_again_in: float | None = None
    detail: str = ""
    # Sweepers: what they did ({"requeued": 2, "expired": 0, ...}).
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.status


def backoff_delay(attempts: int) -> int:
    """Seconds before retry number ``attempts`` (5, 10, 20 ... at most 300)."""
    return min(300, 5 * 2 ** max(0, attempts - 1))
