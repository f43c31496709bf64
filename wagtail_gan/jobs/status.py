"""The JSON-able state of a job, for polling clients (the admin's job page and the API)."""

from __future__ import annotations

from wagtail_gan.models import GenerationJob

from .outputs import output_url


def job_status(job) -> dict:
    """JSON-able state of a job for polling clients (admin and API)."""
    outputs = [
        {"index": i, "url": output_url(job, i), "width": o.get("width"),
         "height": o.get("height"), "seed": o.get("seed")}
        for i, o in enumerate(job.outputs or [])
    ]
    duration = job.duration
    queued_for = None
    if job.started_at:
        queued_for = (job.started_at - job.created_at).total_seconds()
    return {
        "id": job.pk,
        "uuid": str(job.uuid),
        "kind": job.kind,
        "status": job.status,
        "finished": job.status not in GenerationJob.UNFINISHED_STATUSES,
        # "waiting": the model (registry id) it waits for, until an administrator installs it
        "waiting_for_model": job.waiting_for if job.status == GenerationJob.Status.WAITING
        else None,
        "progress": int(job.progress),
        "error": job.error,
        "operation": job.operation,
        "instruction": job.instruction,
        "interpretation": job.interpretation,
        "params": job.params,
        "seed": job.seed,
        "count": job.count,
        "source_image_id": job.source_image_id,
        "collection_id": job.collection_id,
        "outputs": outputs,
        "result_image_id": job.result_image_id,
        "discarded": job.status == GenerationJob.Status.SUCCEEDED and not outputs
        and not job.result_image_id,
        "model_id": job.model_id,
        "timings": {
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "queued_seconds": round(queued_for, 3) if queued_for is not None else None,
            "run_seconds": round(duration, 3) if duration is not None else None,
        },
    }
