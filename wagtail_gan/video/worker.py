"""The worker's side of a video job (task ``generate_video``): what ``work.runner`` runs for
it (claim, liveness, check-and-swap and failures are the runner's): copy the sources to a
temporary folder (they are only ever read), run the pipeline with progress in frames and
heartbeats, sign/record provenance, add the result to the media library. Never raises for
bad input: the job ends "failed" with one line in ``error``."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from wagtail.images import get_image_model

from wagtail_gan.exceptions import JobError
from wagtail_gan.jobs.outputs import load_pixels
from wagtail_gan.models import VideoJob
from wagtail_gan.work import runner
from wagtail_gan.work.outcome import Outcome
from wagtail_gan.work.progress import job_reporter

from . import library, limits, provenance
from .errors import VideoError

FRAMES_INTERVAL = 0.5


class FrameProgress:
    """``progress(done, total)`` in frames: the job's percentage and heartbeat (the shared
    ``ProgressReporter``) plus ``frames_done``/``frames_total`` at most twice a second."""

    def __init__(self, job_id: int):
        self.reporter = job_reporter(VideoJob, job_id)
        self.rows = self.reporter.rows
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
    # numpy and PyAV (the video/worker extras) are imported where a job runs, never when the
    # web tier imports ``tasks``.
    from . import pipeline  # noqa: PLC0415
    from .engines import get_engine  # noqa: PLC0415

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


class VideoKind(runner.JobKind):
    """What differs for a video job: run the pipeline in a temporary folder, add the result to
    the media library (only while the job still runs); a late result's media item is removed.
    A video job's own errors (unreadable video, limits, signing) are shown as they are."""

    model = VideoJob
    expected = (VideoError, limits.VideoLimit, provenance.c2pa.SigningError)

    def claim_fields(self) -> dict:
        return {"progress": 0, "frames_done": 0, "frames_total": 0}

    def load(self, job_id: int) -> VideoJob:
        return VideoJob.objects.select_related("user", "collection").get(pk=job_id)

    def run(self, run: runner.Run):
        from . import pipeline  # noqa: PLC0415  (numpy, PyAV: worker only)

        job = run.job
        with tempfile.TemporaryDirectory(prefix="gan-video-") as tmp:
            result, facts, out = _run(job, Path(tmp), FrameProgress(job.pk))
            runner.check_running(job)  # cancelled or given up: no media item at all
            run.made.append(library.save_video(
                out, title=result_title(job), collection=job.collection, user=job.user,
                info=result, tags=(f"video-{job.kind}",), thumbnail=pipeline.thumbnail(out)))
        return result, facts

    def finish(self, run: runner.Run, done) -> dict:
        result, facts = done
        return {
            "progress": 100, "result_media_id": run.made[0].pk, "result": result,
            "model_id": facts.get("model_id", ""), "model_sha256": facts.get("model_sha256", ""),
            "c2pa": facts.get("c2pa", "")[:255],
            "params": {**run.job.params, "engine_params": facts.get("engine_params", {})},
            "frames_done": result.get("frames", 0), "frames_total": result.get("frames", 0),
        }

    def discard(self, run: runner.Run) -> None:
        for media in run.made:
            library.discard(media)


KIND = VideoKind()


def run_video_job(job_id: int) -> Outcome:
    """Run a queued video job (``work.runner``: claim, run, finish or fail)."""
    return runner.run_job(KIND, job_id)
