"""Sorting worker failures, once for every job kind (renditions, and the ``Job`` kinds run by
``work.runner``, which each say whether a ``retry`` is retried or shown to the user).

* ``skip``  the input or output is beyond the site's limits: not sent to a model;
* ``fail``  a failure the user can see and fix (bad input, model not installed, a missing
            style image): retrying would fail the same way;
* ``retry`` anything else (a bug, a flaky disk): the job is tried again, a few times.
"""

from __future__ import annotations

from dataclasses import dataclass

from wagtail_gan.exceptions import JobError, LimitSkip, PermanentFailure
from wagtail_gan.models_zoo.errors import EngineError, LimitExceeded
from wagtail_gan.operations import InvalidSpec


@dataclass(frozen=True)
class Failure:
    kind: str  # "skip", "fail" or "retry"
    message: str

    @property
    def expected(self) -> bool:
        return self.kind != "retry"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(exc: BaseException, expected: tuple[type[BaseException], ...] = ()) -> Failure:
    """``expected``: further exception types whose message the user sees as is (a ``fail``)."""
    message = first_line(exc)
    if isinstance(exc, (LimitSkip, LimitExceeded)):
        return Failure("skip", message)
    if isinstance(exc, ImportError):
        return Failure("fail", f"The worker cannot run models ({exc}); install "
                               "wagtail-gan[worker] on the machine that runs manage.py run_huey.")
    if isinstance(exc, (EngineError, PermanentFailure, JobError, InvalidSpec, *expected)):
        return Failure("fail", message)
    return Failure("retry", f"{type(exc).__name__}: {message}")
