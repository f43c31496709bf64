"""What an editor job needs from its editor: awaiting review, kept or discarded.

A succeeded job has outputs until someone keeps one (``result_image`` is set, the outputs are
removed) or discards them (no outputs, no result image). The listing, its filter, the menu
count and the image panel read the state from here, so they always agree.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail_gan.models import GenerationJob

AWAITING = "awaiting"
KEPT = "kept"
DISCARDED = "discarded"

LABELS = {
    AWAITING: _("Awaiting review"),
    KEPT: _("Kept"),
    DISCARDED: _("Discarded"),
}

_SUCCEEDED = Q(status=GenerationJob.Status.SUCCEEDED)
_NO_OUTPUTS = Q(outputs=[]) | Q(outputs__isnull=True)

QUERIES = {
    AWAITING: _SUCCEEDED & Q(result_image__isnull=True) & ~_NO_OUTPUTS,
    KEPT: Q(result_image__isnull=False),
    DISCARDED: _SUCCEEDED & Q(result_image__isnull=True) & _NO_OUTPUTS,
}


def review_state(job) -> str | None:
    """``awaiting`` / ``kept`` / ``discarded`` for a finished job, None for the others."""
    if job.result_image_id:
        return KEPT
    if job.status != GenerationJob.Status.SUCCEEDED:
        return None
    return AWAITING if job.outputs else DISCARDED


def status_label(job) -> str:
    """The status an editor cares about: the review state once the job succeeded, the model a
    waiting job waits for."""
    state = review_state(job)
    if state:
        return str(LABELS[state])
    if job.status == GenerationJob.Status.WAITING and job.waiting_for:
        return waiting_label(job.waiting_for)
    return str(job.get_status_display())


def waiting_label(model_id: str) -> str:
    return str(_("Waiting for model %(model)s")) % {"model": model_id}


def awaiting_review(user):
    """The user's own jobs whose outputs wait to be kept or discarded."""
    if user is None or not user.is_authenticated:
        return GenerationJob.objects.none()
    return GenerationJob.objects.filter(QUERIES[AWAITING], user=user)
