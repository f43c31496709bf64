"""The rendition sweeper: lost jobs re-queued, stuck ones expired, superseded fallbacks and
Wagtail's race-loser files deleted after the grace period (or with their image), ``gan_sweep``."""

from __future__ import annotations

import io
import os
import shutil
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from tests.renditions.helpers import huey_counts, run_job
from wagtail_gan import tasks
from wagtail_gan.conf import gan_settings
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import sweeper, worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def save_beside(rendition, pattern: str) -> str:
    """Save a file beside ``rendition``'s: the same folder, its name up to the first dot, then
    ``pattern`` (where ``{rest}`` stands for the name after that dot)."""
    directory, base = rendition.file.name.rsplit("/", 1)
    root, _, rest = base.partition(".")
    return rendition.file.storage.save(f"{directory}/{root}{pattern.format(rest=rest)}",
                                       ContentFile(b"x"))


def test_race_loser_files_are_left_to_the_sweeper(make_image, monkeypatch):
    image = make_image(width=64, height=48)
    fallback = image.get_rendition("width-32|stylize-3")
    storage = fallback.file.storage
    # What a concurrent request that lost Wagtail's get_or_create race leaves behind.
    loser = save_beside(fallback, "_AbC1234.{rest}")
    other = save_beside(fallback, "_AbC1234.width-33.{rest}")
    listed = []
    real_listdir = sweeper.os.listdir

    def listdir(path):
        if str(path).startswith(str(storage.location)):  # not the import machinery's
            listed.append(path)
        return real_listdir(path)

    monkeypatch.setattr(sweeper.os, "listdir", listdir)
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "done"
    assert listed == []  # the job does not list the renditions folder
    job.refresh_from_db()
    assert job.superseded_files == [fallback.file.name]
    sweeper.sweep()  # grace not over: nothing listed, nothing deleted
    assert listed == [] and storage.exists(loser) and storage.exists(fallback.file.name)
    later = timezone.now() + timedelta(seconds=gan_settings.FALLBACK_GRACE_SECONDS + 1)
    assert sweeper.sweep(now=later).counts["files_deleted"] == 2
    assert len(listed) == 1
    assert not storage.exists(loser) and not storage.exists(fallback.file.name)
    assert storage.exists(other) and storage.exists(job.result_name)
    assert sweeper.sweep(now=later).counts["files_deleted"] == 0 and len(listed) == 1


def test_race_losers_matching():
    folder = worker.rendition_storage().path("gan-race")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    present = ["p.width-9.stylize-1.png", "p_AbC1234.width-9.stylize-1.png",
               "p_Zz99999.width-9.stylize-1.png", "p_AbC1234.width-9.stylize-2.png",
               "p_AbC123.width-9.stylize-1.png", "pq_AbC1234.width-9.stylize-1.png",
               "q.width-9.stylize-1.png", "r_Ab12345.png", "r.png", "r_Cd67890.png"]
    for name in present:
        open(os.path.join(folder, name), "w").close()
    # Both names due in one sweep: one listing, the names themselves are not losers.
    assert sorted(sweeper.race_losers(
        ["gan-race/p.width-9.stylize-1.png", "gan-race/r_Ab12345.png"])) == [
        "gan-race/p_AbC1234.width-9.stylize-1.png", "gan-race/p_Zz99999.width-9.stylize-1.png",
        "gan-race/r.png", "gan-race/r_Cd67890.png"]
    assert sweeper.race_losers(["gan-race/missing-folder/x.png"]) == []
    shutil.rmtree(folder)


def test_race_loser_files_go_with_a_deleted_image(make_image):
    image = make_image(width=64, height=48)
    fallback = image.get_rendition("width-32|stylize-3")
    storage = fallback.file.storage
    loser = save_beside(fallback, "_XyZ9876.{rest}")
    job = RenditionJob.objects.get()
    assert run_job(job.pk) == "done"
    result_name = RenditionJob.objects.get().result_name
    image.delete()  # before the grace period is over
    assert not storage.exists(loser) and not storage.exists(fallback.file.name)
    assert not storage.exists(result_name)


def test_sweeper_requeues_lost_jobs_and_expires_stuck_ones(make_image):
    image = make_image()
    image.get_rendition("stylize-3")
    image.get_rendition("stylize-4")
    lost, stuck = RenditionJob.objects.order_by("pk")
    old = timezone.now() - timedelta(hours=1)
    RenditionJob.objects.filter(pk=lost.pk).update(status="running", attempts=1, updated_at=old)
    RenditionJob.objects.filter(pk=stuck.pk).update(created_at=old - timedelta(days=2),
                                                    updated_at=old)
    before = huey_counts()
    outcome = sweeper.sweep()
    assert outcome.counts["requeued"] == 1 and outcome.counts["expired"] == 1
    assert outcome.requeue == [lost.pk]
    assert huey_counts() == before  # the sweeper only says what to re-queue ...
    RenditionJob.objects.filter(pk=lost.pk).update(updated_at=old)
    RenditionJob.objects.filter(pk=lost.pk).update(status="running")
    assert tasks.sweep_renditions.call_local()["requeued"] == 1
    assert huey_counts() == before + 1  # ... and the task puts it on the queue
    lost.refresh_from_db()
    stuck.refresh_from_db()
    assert lost.status == "pending" and "worker lost the job" in lost.error
    assert stuck.status == "expired"
    # Nothing is stale any more: a second sweep does nothing.
    assert sweeper.sweep().counts["requeued"] == 0
    RenditionJob.objects.filter(pk=lost.pk).update(status="running", attempts=3, updated_at=old)
    assert sweeper.sweep().counts["failed"] == 1


def test_gan_sweep_command(make_image):
    out = io.StringIO()
    call_command("gan_sweep", stdout=out)
    assert "requeued" in out.getvalue()


def test_deleting_the_image_deletes_superseded_fallbacks(make_image):
    image = make_image()
    fallback = image.get_rendition("stylize-3")
    storage, old_name = fallback.file.storage, fallback.file.name
    run_job(RenditionJob.objects.get().pk)
    result_name = RenditionJob.objects.get().result_name
    assert storage.exists(old_name) and storage.exists(result_name)
    image.delete()
    assert not RenditionJob.objects.exists()
    assert not storage.exists(old_name) and not storage.exists(result_name)
