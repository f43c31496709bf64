"""The worker's side of an editor/API job (tasks ``generate_variant`` / ``generate_image``):
claim the job, run the model through ``models_zoo.engine`` with progress and heartbeats,
write the outputs (with provenance) under ``gan_pending/``. Never raises for model or input
errors: they end in status "failed" with the message in ``error``. The source image is only
ever read."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.utils import timezone
from wagtail.images import get_image_model

from wagtail_gan.conf import gan_settings
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import GenerationJob
from wagtail_gan.models_zoo import engine
from wagtail_gan.operations import parse_steps
from wagtail_gan.work import liveness
from wagtail_gan.work.failures import classify
from wagtail_gan.work.outcome import Outcome
from wagtail_gan.work.progress import ProgressReporter, heartbeat_interval

from .outputs import delete_outputs, load_pixels, write_output
from .review import keep_job

logger = logging.getLogger(__name__)
Status = GenerationJob.Status


def progress_reporter(job_id: int) -> ProgressReporter:
    return ProgressReporter(
        GenerationJob.objects.filter(pk=job_id, status=Status.RUNNING),
        heartbeat_field="heartbeat_at", progress_field="progress", low=1, high=99,
        interval=heartbeat_interval(gan_settings.JOB_HEARTBEAT_TIMEOUT),
    )


def _run_model(job, progress) -> list:
    if job.kind == GenerationJob.Kind.GENERATE:
        return engine.generate_images(job.instruction, count=job.count, seed=job.seed,
                                      progress=progress)
    source = job.source_image
    if source is None:
        raise JobError("The source image was deleted before the job ran.")
    steps = parse_steps(job.operation)
    recorded = job.params.get("steps") if len(steps) > 1 else [{"params": job.params}]
    image = load_pixels(source)
    results = []
    for i, spec in enumerate(steps):
        def step_progress(fraction, i=i):
            progress((i + fraction) / len(steps))

        params = recorded[i]["params"]
        results.append(_run_step(job, spec, params, image, step_progress))
        image = results[-1].image
    return [results[0] if len(results) == 1 else _combined(results)]


def _run_step(job, spec, params: dict, image, progress):
    kwargs: dict[str, Any] = {"seed": job.seed, "progress": progress}
    if spec.op.needs_instruction:
        kwargs["prompt"] = params.get("prompt") or job.instruction
    if "strength" in params and spec.op.strength == "blend":
        kwargs["strength"] = params["strength"]
    if "style_image" in spec.params:
        style = get_image_model().objects.filter(pk=spec.params["style_image"]).first()
        if style is None:
            raise JobError("The style image was deleted before the job ran.")
        kwargs["style_image"] = load_pixels(style)
    # The operation's inputs beside the spec (erase's mask) go to the model with its params.
    inputs = {name: params[name] for name in spec.op.inputs if name in params}
    return engine.run(spec.model_key, image, params={**spec.params, **inputs}, **kwargs)


def _combined(results) -> engine.EngineResult:
    """One result for a job of several steps: the last image; every step's model in
    ``params["step_models"]``; ``model_sha256`` a digest over the steps' "id sha256" lines."""
    lines = "\n".join(f"{r.model_id} {r.model_sha256}" for r in results)
    return engine.EngineResult(
        image=results[-1].image,
        model_id="+".join(r.model_id for r in results)[:128],
        model_sha256=hashlib.sha256(lines.encode()).hexdigest(),
        params={"step_models": [{"model_id": r.model_id, "model_sha256": r.model_sha256,
                                 "params": r.params} for r in results]},
        seed=next((r.seed for r in results if r.seed is not None), None),
        duration=sum(r.duration for r in results),
    )


def run_generation_job(job_id: int) -> Outcome:
    now = timezone.now()
    claimed = GenerationJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, progress=0, error="",
        worker_id=liveness.worker_id(),
    )
    if not claimed:
        logger.info("Generation job %s is not queued any more; skipped", job_id)
        return Outcome("skipped")
    job = GenerationJob.objects.select_related("source_image").get(pk=job_id)
    written: list[dict] = []
    try:
        with liveness.running(GenerationJob, job_id, "heartbeat_at"):
            results = _run_model(job, progress_reporter(job_id))
            for i, result in enumerate(results):
                written.append(write_output(job, result.image, i, result.seed, result))
        first = results[0]
        # Only a job still running succeeds: one the sweeper gave up on stays failed (the
        # editor was told, and may have started it again).
        succeeded = GenerationJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=Status.SUCCEEDED, progress=100, outputs=written,
            model_id=first.model_id or "", model_sha256=first.model_sha256 or "",
            params={**job.params, **{k: v for k, v in (first.params or {}).items()
                                     if k not in job.params}},
            seed=job.seed if job.seed is not None else first.seed,
            finished_at=timezone.now(), heartbeat_at=timezone.now(),
        )
        if not succeeded:
            logger.warning("Generation job %s finished after it was marked failed; result "
                           "discarded", job_id)
            delete_outputs([o["name"] for o in written])
            return Outcome(Status.FAILED)
    except Exception as exc:
        failure = classify(exc)
        if failure.kind == "retry":  # an editor job is never retried behind their back
            message = f"Unexpected error ({type(exc).__name__}): {exc}"
            logger.exception("Generation job %s crashed", job_id)
        else:
            message = failure.message
            logger.warning("Generation job %s failed: %s", job_id, message)
        delete_outputs([o["name"] for o in written])
        GenerationJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=message[:2000], finished_at=timezone.now(),
        )
        return Outcome(Status.FAILED, detail=message)
    if gan_settings.AUTO_KEEP and job.count == 1:
        job.refresh_from_db()
        try:
            keep_job(job, None, 0)
        except Exception:
            logger.exception("Auto-keep of job %s failed; the output stays pending", job_id)
    return Outcome(Status.SUCCEEDED)
