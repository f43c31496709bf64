"""One per-user budget of GPU jobs, whatever the way in (web tier).

``JOB_RATE`` (DRF rate syntax: ``"30/hour"``, ``"5/min"``; ``None`` disables it) is how many
image and video jobs one user may start per window: through the API, the admin's panels,
the bulk action, the text-to-image and video pages, and the proposals made when they upload
(``IMPROVE_ON_UPLOAD``). ``work.submit.create`` calls :func:`admit` inside the transaction
that creates every ``GenerationJob`` and ``VideoJob``, so no path can forget it; the views
only say it their way (the API: 429 with ``Retry-After``; the admin: a message on the form).

Only *created* jobs count: a request refused by validation or permissions, or an idempotency
replay, costs nothing. Cancelled and failed jobs count (they were queued for the worker).
The count is taken inside the creating transaction with the user's row locked
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock, with the IMMEDIATE
transaction mode the settings require): concurrent requests cannot overrun the limit, and no
shared cache is needed between web processes. Superusers have the same budget unless
``JOB_RATE_EXEMPT_SUPERUSERS`` says otherwise. Jobs recorded by management commands
(``source="command"``) are not counted, and not refused.

``API_THROTTLE_RATE`` is the former name of ``JOB_RATE`` (it covered the API only); it is
still read when ``JOB_RATE`` is not set (system check ``wagtail_gan.W009``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from wagtail_gan.conf import DEFAULTS, gan_settings
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import GenerationJob, VideoJob

# The job kinds the budget counts (one budget for both), and the sources it leaves alone.
COUNTED = (GenerationJob, VideoJob)
EXEMPT_SOURCES = ("command",)

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PER = {"s": _lazy("per second"), "m": _lazy("per minute"), "h": _lazy("per hour"),
       "d": _lazy("per day")}


class OverBudget(JobError):
    """The user started ``limit`` jobs within the window; one more fits in ``retry_after``
    seconds. The API answers 429 with ``Retry-After``; the admin shows the message."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, None)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int
    per: str  # "per hour"
    text: str  # as configured: "30/hour"


def setting_name() -> str:
    """The key the rate is read from: ``JOB_RATE``, or the deprecated ``API_THROTTLE_RATE``
    when only that one is set."""
    user = gan_settings.user_settings
    if "JOB_RATE" not in user and "API_THROTTLE_RATE" in user:
        return "API_THROTTLE_RATE"
    return "JOB_RATE"


def rate() -> Rate | None:
    """The configured rate, or None when the budget is disabled. A malformed rate is an
    ``ImproperlyConfigured`` naming the key and an example."""
    name = setting_name()
    value = gan_settings.user_settings.get(name, DEFAULTS["JOB_RATE"])
    if value is None or value == "":
        return None
    try:
        count, period = str(value).split("/")
        limit = int(count)
        seconds, per = UNITS[period[0]], PER[period[0]]
        if limit < 1 or not count.strip().isdigit() or not count.isascii():
            raise ValueError(value)
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(
            f"WAGTAIL_GAN[{name!r}] = {value!r} is not a rate such as '30/hour', '5/min', "
            "'100/day' (or None to disable)."
        ) from exc
    return Rate(limit, seconds, str(per), value)


def applies_to(user, source: str | None = None) -> bool:
    if user is None or getattr(user, "pk", None) is None or source in EXEMPT_SOURCES:
        return False
    return not (user.is_superuser and gan_settings.JOB_RATE_EXEMPT_SUPERUSERS)


def recent(user, since) -> list:
    """The creation times of ``user``'s counted jobs since ``since``, oldest first (one query
    over both tables; UNION ALL keeps equal timestamps)."""
    querysets = [
        model.objects.filter(user=user, created_at__gt=since)
        .exclude(source__in=EXEMPT_SOURCES).order_by().values_list("created_at", flat=True)
        for model in COUNTED
    ]
    return list(querysets[0].union(*querysets[1:], all=True).order_by("created_at"))


def admit(user, source: str | None = None) -> None:
    """Raise ``OverBudget`` when ``user`` is at the limit. Call inside the transaction that
    creates the job (``work.submit.create`` does)."""
    limits = rate()
    if limits is None or not applies_to(user, source):
        return
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).only("pk"))
    now = timezone.now()
    window = timedelta(seconds=limits.seconds)
    started = recent(user, now - window)
    if len(started) < limits.limit:
        return
    # The job that must leave the window before one more fits.
    leaves = started[len(started) - limits.limit] + window
    wait = max(1, int((leaves - now).total_seconds()) + 1)
    raise OverBudget(message(limits, wait), wait)


def message(limits: Rate, wait: int) -> str:
    return ngettext(
        "You have reached the limit of %(limit)d AI job %(per)s per user: you can start "
        "another in %(wait)s.",
        "You have reached the limit of %(limit)d AI jobs %(per)s per user: you can start "
        "another in %(wait)s.", limits.limit,
    ) % {"limit": limits.limit, "per": limits.per, "wait": duration(wait)}


def duration(seconds: int) -> str:
    """``seconds`` in words, rounded up to the largest unit that reads well."""
    if seconds < 120:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    if seconds < 7200:
        minutes = -(-seconds // 60)
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = -(-seconds // 3600)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
