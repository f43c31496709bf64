"""Video jobs end to end without a queue: submit (validation, permissions, limits) and the
worker (pipeline, media library item, provenance, failures that leave the source alone)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from huey.contrib.djhuey import HUEY
from wagtailmedia.models import get_media_model

from tests.video.helpers import add_media, decoded, read_provenance
from wagtail_gan import jobs, queue, tasks
from wagtail_gan.exceptions import JobError
from wagtail_gan.models import GenerationJob, VideoJob
from wagtail_gan.video.submit import submit_interpolate_job, submit_stills_job
from wagtail_gan.video.worker import run_video_job


def media_path(media):
    return media.file.path


def test_interpolate_job_makes_a_linked_video(video_world):
    w = video_world
    job = submit_interpolate_job(user=w.editor, media=w.video, factor=2, engine="blend")
    assert job.status == "queued" and job.source_media_id == w.video.pk
    assert str(run_video_job(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert job.progress == 100 and job.frames_done == job.frames_total == 12
    media = get_media_model().objects.get(pk=job.result_media_id)
    assert media.type == "video" and media.collection == w.team
    assert media.duration == pytest.approx(0.5, abs=1e-3) and media.width == 64
    assert set(media.tags.names()) >= {"ai-generated", "video-interpolate"}
    assert media.thumbnail
    times, _, adur = decoded(media_path(media))
    assert len(times) == 12 and adur == pytest.approx(0.5, abs=0.05)
    facts = read_provenance(media_path(media))
    assert facts["model_id"] == "blend" == job.model_id
    assert facts["sources"] == [{"type": "media", "id": w.video.pk, "title": "Harbour film"}]
    assert facts["params"] == {"factor": 2, "mode": "fps"} and facts["user"] == w.editor.pk
    assert job.c2pa.startswith("unsigned")
    w.video.refresh_from_db()
    assert open(media_path(w.video), "rb").read() == w.video_bytes  # source untouched


def test_slowmo_job_with_the_model_engine(video_world, rife_model):
    w = video_world
    job = submit_interpolate_job(user=w.editor, media=w.video, factor=2, mode="slowmo")
    run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.model_id == "rife_v4_6" and len(job.model_sha256) == 64
    assert job.result["duration"] == pytest.approx(1.0, abs=1e-3)
    assert job.result["audio_seconds"] == pytest.approx(1.0, abs=0.06)


def test_stills_job(video_world, make_image):
    w = video_world
    second = make_image(title="Harbour, winter", collection=w.team, width=40, height=30)
    job = submit_stills_job(user=w.editor, images=[w.image, second], seconds=1, fps=10,
                            hold=0.2, engine="blend")
    run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result["frames"] == 10 and job.result["generated"] == 6
    assert [s["id"] for s in job.source_images] == [w.image.pk, second.pk]


def test_refusals_create_no_row(video_world, no_rife):
    w = video_world
    with pytest.raises(PermissionDenied):
        submit_interpolate_job(user=w.viewer, media=w.video, engine="blend")
    with pytest.raises(JobError, match="factor must be 2 or 4"):
        submit_interpolate_job(user=w.editor, media=w.video, factor=3, engine="blend")
    with pytest.raises(JobError, match="gan_models install rife_v4_6"):
        submit_interpolate_job(user=w.editor, media=w.video)
    with pytest.raises(JobError, match="at least two images"):
        submit_stills_job(user=w.editor, images=[w.image], engine="blend")
    with pytest.raises(PermissionDenied):
        submit_stills_job(user=w.editor, images=[w.image, w.stock_image], engine="blend")
    w.video.duration = 600
    w.video.save()
    with pytest.raises(JobError, match="MAX_VIDEO_SECONDS"):
        submit_interpolate_job(user=w.editor, media=w.video, engine="blend")
    assert not VideoJob.objects.exists()


@pytest.mark.parametrize("kwargs, field, message", [
    ({"hold": 1e308}, "hold", "longer than the clip"),
    ({"hold": float("inf")}, "hold", "must be a number"),
    ({"hold": "nan"}, "hold", "must be a number"),
    ({"hold": 2.5, "seconds": 2}, "hold", "longer than the clip"),
    ({"hold": 1, "seconds": 2}, "hold", "too short for 2 images held 1 s"),
    ({"hold": True}, "hold", "must be a number"),
    ({"seconds": "３"}, "seconds", "must be a number"),
    ({"fps": "٢٤"}, "fps", "whole number"),
    ({"fps": 24.5}, "fps", "whole number"),
    ({"fps": False}, "fps", "whole number"),
    ({"title": "t" * 100_000}, "title", "100,000 characters long; the limit is 255"),
])
def test_clip_parameters_are_checked_together(video_world, kwargs, field, message):
    w = video_world
    with pytest.raises(JobError, match=message) as excinfo:
        submit_stills_job(user=w.editor, images=[w.image, w.image], engine="blend",
                          **{"seconds": 3, "fps": 10, **kwargs})
    assert excinfo.value.field == field
    assert not VideoJob.objects.exists()
    # the same clip with room for the holds, numbers as ASCII strings (the admin's form)
    job = submit_stills_job(user=w.editor, images=[w.image, w.image], engine="blend",
                            seconds="2", fps="10", hold="0.8", title="t" * 255)
    assert job.params == {"seconds": 2.0, "fps": 10, "hold": 0.8}


def test_broken_file_fails_the_job_in_one_line(video_world, tmp_path):
    w = video_world
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    media = add_media(bad, title="Broken", collection=w.team)
    before = open(media_path(media), "rb").read()
    job = submit_interpolate_job(user=w.editor, media=media, engine="blend")
    run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "\n" not in job.error
    assert "cannot read" in job.error.lower() or "damaged" in job.error.lower()
    assert job.result_media_id is None
    assert open(media_path(media), "rb").read() == before


def test_the_worker_checks_limits_on_the_file(video_world, settings):
    w = video_world
    job = submit_interpolate_job(user=w.editor, media=w.video, engine="blend")
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MAX_VIDEO_PIXELS": 100}
    run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "MAX_VIDEO_PIXELS" in job.error


def test_video_kind_goes_through_the_task_seam(video_world):
    assert "video" in queue.KINDS and "video" in tasks.ENQUEUE
    job = submit_interpolate_job(user=video_world.editor, media=video_world.video,
                                 engine="blend")
    immediate = HUEY.immediate
    HUEY.immediate = True
    try:
        queue.request("video", job.pk, on_commit=False)
    finally:
        HUEY.immediate = immediate
    job.refresh_from_db()
    assert job.status == "succeeded", job.error


def test_one_idempotency_key_space_for_image_and_video_jobs(video_world):
    """A key names one request of one kind, in both directions: an image job's key is refused
    for a video job, and a video job's key for an image job (no row either way)."""
    w = video_world
    video = submit_interpolate_job(user=w.editor, media=w.video, engine="blend",
                                   idempotency_key="shared-1")
    assert submit_interpolate_job(user=w.editor, media=w.video, engine="blend",
                                  idempotency_key="shared-1").pk == video.pk
    with pytest.raises(jobs.IdempotencyConflict):
        jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-3",
                                idempotency_key="shared-1")
    image_job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-3",
                                        idempotency_key="shared-2")
    with pytest.raises(jobs.IdempotencyConflict):
        submit_interpolate_job(user=w.editor, media=w.video, engine="blend",
                               idempotency_key="shared-2")
    assert list(GenerationJob.objects.values_list("pk", flat=True)) == [image_job.pk]
    assert list(VideoJob.objects.values_list("pk", flat=True)) == [video.pk]
    # another user's keys are theirs
    assert submit_interpolate_job(user=w.admin, media=w.video, engine="blend",
                                  idempotency_key="shared-2").replayed is False
