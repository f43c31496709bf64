"""Jobs that wait for their model, once for rendition jobs and editor/API jobs.

A job whose run failed ONLY because its model is not installed (``ModelNotInstalled``, which
names the model) is not failed: it is marked "waiting" for that model (``wait``: the row's
``waiting_for`` is the registry id) and the editor is told so. When the model is installed
(the Models page, the API and ``gan_models install`` all end in ``install.install``, which
sends ``models_zoo.signals.model_installed``), ``tasks`` releases the jobs waiting for it
(``release``: back to queued / pending) and puts them on the queue. A model that stands in for
the one a job waits for (``registry.STAND_INS``) releases it too. Each job waits once: its
``waiting_for`` stays set, so a second miss fails it for real. The sweeper also releases jobs
whose model turned up some other way (files copied in: ``release_installed``).

Worker code calls ``wait``; what to enqueue comes back in an ``Outcome`` (``tasks`` acts).
"""

from __future__ import annotations

import logging

from django.utils import timezone

from wagtail_gan.models import GenerationJob, Job, RenditionJob
from wagtail_gan.models_zoo import registry
from wagtail_gan.models_zoo.errors import ModelNotInstalled

from .outcome import Outcome

logger = logging.getLogger(__name__)

# The models whose jobs may wait, and the queue each goes back to.
KINDS = (RenditionJob, GenerationJob)


def waits(exc: BaseException, job) -> str:
    """The model ``job`` should wait for after ``exc``, or "" (fail it): only a missing model,
    and only the first time."""
    if isinstance(exc, ModelNotInstalled) and exc.model_id and not job.waiting_for:
        return exc.model_id
    return ""


def message(model_id: str) -> str:
    return (f"Waiting for model {model_id} (an administrator can install it on the Models "
            "page); the job runs by itself once it is installed.")


def _resumed(model, now) -> dict:
    """The columns of a released job: back on the queue, its clocks restarted."""
    if model is RenditionJob:
        # finished_at restarts the expiry clock (RENDITION_EXPIRE_SECONDS, renditions.sweeper).
        return {"status": RenditionJob.Status.PENDING, "updated_at": now, "finished_at": now,
                "error": ""}
    return {"status": Job.Status.QUEUED, "heartbeat_at": now, "worker_id": "",
            "finished_at": None, model.ERROR_FIELD: ""}


def wait(rows, model_id: str, now=None) -> Outcome:
    """Mark ``rows`` (one job, filtered on the state it must still be in) as waiting for
    ``model_id``. If the model was installed meanwhile (a race with the install's release),
    the job goes straight back to the queue (``Outcome.requeue``)."""
    now = now or timezone.now()
    model = rows.model
    waiting = model.Status.WAITING
    fields = {"status": waiting, "waiting_for": model_id, "finished_at": now,
              ("error" if model is RenditionJob else model.ERROR_FIELD): message(model_id)}
    if model is RenditionJob:
        fields["updated_at"] = now
    ids = list(rows.values_list("pk", flat=True))
    if not rows.update(**fields):
        return Outcome("gone")
    logger.info("%s %s waits for model %s", model.__name__, ids[0], model_id)
    if runnable(model_id):
        return Outcome(waiting, requeue=_release(model, ids, now))
    return Outcome(waiting, detail=message(model_id))


def installed(model_id: str) -> bool:
    try:
        return registry.is_installed(registry.pinned(registry.get(model_id)))
    except (registry.UnknownModel, registry.InvalidModelId):
        return False


def _stand_ins() -> list[tuple[str, str]]:
    """(model id, the model id that stands in for it) pairs of ``registry.STAND_INS``."""
    pairs = []
    for key, stand_in in registry.STAND_INS.items():
        try:
            pairs.append((registry.resolve(key).id, registry.resolve(stand_in).id))
        except (registry.UnknownModel, registry.InvalidModelId):
            continue
    return pairs


def runnable(model_id: str) -> bool:
    """A job waiting for ``model_id`` can run: it, or a model standing in for it, is installed."""
    return installed(model_id) or any(installed(s) for m, s in _stand_ins() if m == model_id)


def satisfied_by(model_id: str) -> set[str]:
    """The models a job may wait for that ``model_id``, once installed, lets it run: itself,
    and the models it stands in for (``registry.STAND_INS``)."""
    return {model_id} | {m for m, s in _stand_ins() if s == model_id}


def _release(model, ids, now) -> list[int]:
    released = []
    for pk in ids:  # one conditional UPDATE each: concurrent releases act once
        if model.objects.filter(pk=pk, status=model.Status.WAITING).update(**_resumed(model, now)):
            released.append(pk)
    if released:
        logger.info("%s %s released: their model is installed", model.__name__, released)
    return released


def release(model, model_id: str, now=None) -> Outcome:
    """Put the ``model`` jobs waiting for ``model_id`` (or for a model it stands in for) back
    on the queue; ``Outcome.requeue`` lists them."""
    now = now or timezone.now()
    ids = model.objects.filter(status=model.Status.WAITING,
                               waiting_for__in=satisfied_by(model_id)).values_list("pk", flat=True)
    return Outcome("released", requeue=_release(model, list(ids), now))


def release_installed(model, now=None) -> Outcome:
    """The sweeper's pass: release the ``model`` jobs whose model is installed now, however it
    arrived. One query for the models waited for; a registry check per model."""
    now = now or timezone.now()
    waited = (model.objects.filter(status=model.Status.WAITING).order_by()
              .values_list("waiting_for", flat=True).distinct())
    requeue = []
    for model_id in {m for m in waited if m}:
        if runnable(model_id):
            requeue += [pk for pk in release(model, model_id, now).requeue if pk not in requeue]
    return Outcome("released", requeue=requeue, counts={"released": len(requeue)})
