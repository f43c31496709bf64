"""The worker's side of a video job (task ``generate_video``): claim it, copy the sources to
a temporary folder (they are only ever read), run the pipeline with progress in frames and
heartbeats, sign/record provenance, add the result to the media library. Never raises for
bad input: the job ends "failed" with one line in ``error``."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from django.utils import timezone
from wagtail.images import get_image_model

from wagtail_gan.conf import gan_settings
from wagtail_gan.exceptions import JobError
from wagtail_gan.jobs.outputs import load_pixels
from wagtail_gan.models import VideoJob
from wagtail_gan.work import liveness
from wagtail_gan.work.failures import classify, first_line
from wagtail_gan.work.outcome import Outcome
from wagtail_gan.work.progress import ProgressReporter, heartbeat_interval

from . import avio, library, limits, pipeline, provenance
from .engines import get_engine

logger = logging.getLogger(__name__)
Status = VideoJob.Status
FRAMES_INTERVAL = 0.5


class FrameProgress:
    """``progress(done, total)`` in frames: the job's percentage and heartbeat (the shared
    ``ProgressReporter``) plus ``frames_done``/``frames_total`` at most twice a second."""

    def __init__(self, job_id: int):
        self.rows = VideoJob.objects.filter(pk=job_id, status=Status.RUNNING)
        self.reporter = ProgressReporter(
            self.rows, heartbeat_field="heartbeat_at", progress_field="progress", low=1,
            high=99, interval=heartbeat_interval(gan_settings.JOB_HEARTBEAT_TIMEOUT))
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        self.reporter(done / max(1, total))
        now = time.monotonic()
        if now - self.last >= FRAMES_INTERVAL or done >= total:
            self.last = now
            self.rows.update(frames_done=done, frames_total=total)


def _copy_source(media, folder: Path) -> Path:
    ext = Path(media.file.name).suffix.lower() or ".mp4"
    dst = folder / f"source{ext}"
    try:
        with media.file.open("rb") as src, open(dst, "wb") as out:
            shutil.copyfileobj(src, out)
    except OSError as exc:
        raise JobError(f"The file of “{media.title}” cannot be read ({exc}).") from None
    return dst


def _run(job: VideoJob, folder: Path, progress) -> tuple[dict, dict, object]:
    engine = get_engine(job.engine)
    out = folder / "out.mp4"
    if job.kind == VideoJob.Kind.INTERPOLATE:
        media = library.media_model().objects.filter(pk=job.source_media_id).first()
        if media is None:
            raise JobError("The source video was deleted before the job ran.")
        src = _copy_source(media, folder)
        sources = [{"type": "media", "id": media.pk, "title": media.title}]
        facts = provenance.info(job=job, kind=job.kind, params=job.params, engine=engine,
                                user=job.user, sources=sources)
        result = pipeline.interpolate_video(src, out, factor=int(job.params["factor"]),
                                            mode=job.params.get("mode", "fps"), engine=engine,
                                            progress=progress, provenance=facts)
        parent = (src.read_bytes(), src.suffix, media.title)
    else:
        Image = get_image_model()
        found = Image.objects.in_bulk([s["id"] for s in job.source_images])
        missing = [s["title"] for s in job.source_images if s["id"] not in found]
        if missing:
            raise JobError(f"The image “{missing[0]}” was deleted before the job ran.")
        images = [found[s["id"]] for s in job.source_images]
        sources = [{"type": "image", "id": i.pk, "title": i.title} for i in images]
        facts = provenance.info(job=job, kind=job.kind, params=job.params, engine=engine,
                                user=job.user, sources=sources)
        p = job.params
        result = pipeline.clip_from_stills([load_pixels(i) for i in images], out,
                                           seconds=p["seconds"], fps=p["fps"], hold=p["hold"],
                                           engine=engine, progress=progress, provenance=facts,
                                           title=job.source_title)
        first = images[0]
        with first.open_file() as fh:
            parent = (fh.read(), Path(first.file.name).suffix or ".jpg", first.title)
    facts["c2pa"] = provenance.sign_file(out, facts, parent)
    return result, facts, out


def result_title(job: VideoJob) -> str:
    if job.kind == VideoJob.Kind.INTERPOLATE:
        return f"{job.source_title} — {job.label}"
    return job.source_title or "Clip"


def run_video_job(job_id: int) -> Outcome:
    now = timezone.now()
    claimed = VideoJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, progress=0, error="",
        frames_done=0, frames_total=0, worker_id=liveness.worker_id())
    if not claimed:  # cancelled, failed by the sweeper, or a duplicate message
        logger.info("Video job %s is not queued any more; skipped", job_id)
        return Outcome("skipped")
    job = VideoJob.objects.select_related("user", "collection").get(pk=job_id)
    media = None
    try:
        with liveness.running(VideoJob, job_id, "heartbeat_at"), \
                tempfile.TemporaryDirectory(prefix="gan-video-") as tmp:
            result, facts, out = _run(job, Path(tmp), FrameProgress(job_id))
            if not VideoJob.objects.filter(pk=job_id, status=Status.RUNNING).exists():
                logger.warning("Video job %s was cancelled or given up while running; result "
                               "discarded", job_id)
                return Outcome(Status.FAILED, detail="given up while running")
            media = library.save_video(
                out, title=result_title(job), collection=job.collection, user=job.user,
                info=result, tags=(f"video-{job.kind}",), thumbnail=pipeline.thumbnail(out))
    except Exception as exc:
        if media is not None:
            library.discard(media)
        if isinstance(exc, (avio.VideoError, limits.VideoLimit, provenance.c2pa.SigningError)):
            message = first_line(exc)
        else:
            failure = classify(exc)
            message = failure.message
            if failure.kind == "retry":  # a video job is never retried behind the editor's back
                message = f"Unexpected error ({type(exc).__name__}): {first_line(exc)}"
                logger.exception("Video job %s crashed", job_id)
        logger.warning("Video job %s failed: %s", job_id, message)
        VideoJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=message[:2000], finished_at=timezone.now())
        return Outcome(Status.FAILED, detail=message)
    # Only a job still running succeeds: one cancelled or failed meanwhile (the editor was
    # told) keeps its status, and its late result leaves no media item behind.
    succeeded = VideoJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=Status.SUCCEEDED, progress=100, result_media_id=media.pk,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(), model_id=facts.get("model_id", ""),
        model_sha256=facts.get("model_sha256", ""), c2pa=facts.get("c2pa", "")[:255],
        result=result,
        params={**job.params, "engine_params": facts.get("engine_params", {})},
        frames_done=result.get("frames", 0), frames_total=result.get("frames", 0),
    )
    if not succeeded:
        logger.warning("Video job %s finished after it was cancelled or failed; result "
                       "discarded", job_id)
        library.discard(media)
        return Outcome(Status.FAILED, detail="finished after it was cancelled or failed")
    return Outcome(Status.SUCCEEDED)
