"""The worker's side of an editor/API job (tasks ``generate_variant`` / ``generate_image``):
what ``work.runner`` runs for it (claim, liveness, check-and-swap and failures are the
runner's): the model through ``models_zoo.engine`` with progress and heartbeats, the outputs
(with provenance) under ``gan_pending/``. Never raises for model or input errors: they end in
status "failed" with the message in ``error`` (a model that is not installed: "waiting" for
it, ``work.waiting``). The source image is only ever read."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from wagtail.images import get_image_model

from wagtail_gan.conf import gan_settings
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import GenerationJob
from wagtail_gan.models_zoo import engine
from wagtail_gan.operations import parse_steps
from wagtail_gan.work import runner
from wagtail_gan.work.outcome import Outcome
from wagtail_gan.work.progress import ProgressReporter, job_reporter

from .outputs import delete_outputs, load_pixels, write_output
from .review import keep_job

logger = logging.getLogger(__name__)


def progress_reporter(job_id: int) -> ProgressReporter:
    return job_reporter(GenerationJob, job_id)


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


class GenerationKind(runner.JobKind):
    """What differs for an editor/API job: run the model, write the outputs (pending until
    kept), record the model; a late result's outputs are deleted."""

    model = GenerationJob
    waits_for_models = True  # a missing model: "waiting for model X", run again once installed

    def claim_fields(self) -> dict:
        return {"progress": 0}

    def load(self, job_id: int) -> GenerationJob:
        return GenerationJob.objects.select_related("source_image").get(pk=job_id)

    def run(self, run: runner.Run):
        job = run.job
        results = _run_model(job, progress_reporter(job.pk))
        for i, result in enumerate(results):
            run.made.append(write_output(job, result.image, i, result.seed, result))
        return results[0]

    def finish(self, run: runner.Run, first) -> dict:
        job = run.job
        return {
            "progress": 100, "outputs": run.made, "model_id": first.model_id or "",
            "model_sha256": first.model_sha256 or "",
            "params": {**job.params, **{k: v for k, v in (first.params or {}).items()
                                        if k not in job.params}},
            "seed": job.seed if job.seed is not None else first.seed,
        }

    def discard(self, run: runner.Run) -> None:
        delete_outputs([o["name"] for o in run.made])

    def succeeded(self, run: runner.Run) -> None:
        job = run.job
        if gan_settings.AUTO_KEEP and job.count == 1:
            job.refresh_from_db()
            try:
                keep_job(job, None, 0)
            except Exception:
                logger.exception("Auto-keep of job %s failed; the output stays pending", job.pk)


KIND = GenerationKind()


def run_generation_job(job_id: int) -> Outcome:
    """Run a queued editor/API job (``work.runner``: claim, run, finish or fail)."""
    return runner.run_job(KIND, job_id)
