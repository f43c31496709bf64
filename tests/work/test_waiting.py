"""Jobs that wait for their model (issue 24.1): a rendition job or an editor/API job whose run
failed only because its model is not installed is "waiting for model X" (not failed: job page,
jobs listing, API, rendition listing say so), and runs again, once, when that model is
installed - from the Models page, the API or ``gan_models install`` (all through
``install.install``, which sends ``model_installed``; ``tasks`` re-queues). A job that waited
and still fails then fails for real.

The model: a site entry of a test family that needs weights (the dummy backend otherwise), a
file served by a local HTTP server (no network)."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.api.helpers import api_client_for
from tests.conftest import gan_models_override
from tests.utils import serve
from wagtail_gan import jobs, tasks
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, RenditionJob
from wagtail_gan.models_admin import worker as model_worker
from wagtail_gan.models_zoo import engine, install, registry
from wagtail_gan.models_zoo.backends.dummy import DummyBackend
from wagtail_gan.models_zoo.errors import ModelNotInstalled
from wagtail_gan.operations import parse_spec
from wagtail_gan.renditions import worker as rendition_worker
from wagtail_gan.work import waiting

pytestmark = pytest.mark.django_db

PAYLOAD = b"weights of a model that needs them" * 64
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MODEL = "weighted"


class WeightedDummy(DummyBackend):
    """The dummy backend for a model that must be installed first (as every real one)."""

    family = "weighted_dummy"

    def is_installed(self, entry) -> bool:
        return registry.is_installed(entry)


class Weights(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args):
        pass


@pytest.fixture
def weights_url():
    with serve(Weights) as url:
        yield url


@pytest.fixture
def weighted(settings, tmp_path, dummy_models, weights_url):
    """``stylize`` runs MODEL, which is not installed yet (its file: the local server)."""
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models"),
                            "BACKENDS": {"weighted_dummy": WeightedDummy}}
    gan_models_override(settings, {MODEL: {
        "task": "translate", "family": "weighted_dummy", "url": f"{weights_url}/w.bin",
        "sha256": SHA, "size": len(PAYLOAD), "default_for": ["stylize"]}})
    assert registry.resolve("stylize").id == MODEL and not registry.is_installed(registry.get(MODEL))
    return MODEL


@pytest.fixture
def enqueued(monkeypatch):
    """What the tasks put on the queue (instead of the real queue): (kind, id) pairs."""
    calls = []
    monkeypatch.setattr(tasks, "enqueue_generation", lambda pk, **kw: calls.append(("job", pk)))
    monkeypatch.setattr(tasks, "enqueue_rendition", lambda pk, **kw: calls.append(("rendition", pk)))
    return calls


def editor_job(world) -> GenerationJob:
    """An editor job submitted while the model was installed, which was removed before the
    worker ran it (or the worker's models dir differs from what the web tier sees)."""
    install.install(registry.get(MODEL))
    job = jobs.submit_variant_job(user=world.editor, image=world.image, operation="stylize-3")
    install.remove(registry.get(MODEL))
    return job


def rendition_job(image) -> RenditionJob:
    image.get_rendition("stylize-3")  # web mode: the fallback, and the job row
    return RenditionJob.objects.get(image=image, filter_spec="stylize-3")


def test_a_missing_model_makes_jobs_wait_then_its_install_runs_them(gan_world, weighted,
                                                                   enqueued):
    job = editor_job(gan_world)
    assert str(run_generation_job(job.pk)) == "waiting"
    job.refresh_from_db()
    assert (job.status, job.waiting_for) == ("waiting", MODEL)
    assert "Waiting for model weighted" in job.error and "Models page" in job.error
    rendition = rendition_job(gan_world.image)
    assert str(rendition_worker.run_rendition_job(rendition.pk)) == "waiting"
    rendition.refresh_from_db()
    assert (rendition.status, rendition.waiting_for) == ("waiting", MODEL)
    # The minute's sweep leaves them alone (nothing expired, failed or re-queued).
    tasks.sweep_renditions.call_local()
    for row in (job, rendition):
        row.refresh_from_db()
    assert {j.status for j in (job, rendition)} == {"waiting"} and enqueued == []

    install.install(registry.get(MODEL))  # model_installed -> tasks.on_model_installed
    assert sorted(enqueued) == [("job", job.pk), ("rendition", rendition.pk)]
    job.refresh_from_db()
    rendition.refresh_from_db()
    assert (job.status, job.error, job.waiting_for) == ("queued", "", MODEL)
    assert (rendition.status, rendition.error) == ("pending", "")
    assert str(run_generation_job(job.pk)) == "succeeded"
    assert str(rendition_worker.run_rendition_job(rendition.pk)) == "done"
    job.refresh_from_db()
    assert job.model_id == MODEL and job.outputs


def test_a_job_waits_once_then_fails_for_real(gan_world, weighted, enqueued):
    job = editor_job(gan_world)
    run_generation_job(job.pk)
    install.install(registry.get(MODEL))
    assert enqueued == [("job", job.pk)]
    install.remove(registry.get(MODEL))  # gone again before the worker ran it
    assert str(run_generation_job(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "is not installed" in job.error
    rendition = rendition_job(gan_world.image)
    rendition_worker.run_rendition_job(rendition.pk)
    install.install(registry.get(MODEL))
    install.remove(registry.get(MODEL))
    assert str(rendition_worker.run_rendition_job(rendition.pk)) == "failed"
    rendition.refresh_from_db()
    assert rendition.status == "failed" and "is not installed" in rendition.error


def run_task(task_id: int) -> None:
    assert model_worker.run_model_task(task_id) == "succeeded"


def via_models_page(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("wagtail_gan_admin:model_action", args=[MODEL, "install"]),
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    run_task(response.json()["id"])


def via_api(client, world):
    response = api_client_for(world.admin).post(
        reverse("wagtail_gan_api:model-action", args=[MODEL, "install"]), {}, format="json")
    assert response.status_code == 202
    run_task(response.json()["id"])


def via_command(client, world):
    out = io.StringIO()
    call_command("gan_models", "install", MODEL, stdout=out)
    assert f"{MODEL}: installed" in out.getvalue()


@pytest.mark.parametrize("install_it", [via_models_page, via_api, via_command])
def test_every_install_path_releases_the_waiting_jobs(gan_world, weighted, enqueued, client,
                                                      install_it):
    job = editor_job(gan_world)
    run_generation_job(job.pk)
    install_it(client, gan_world)
    assert enqueued == [("job", job.pk)]
    job.refresh_from_db()
    assert job.status == "queued"


def test_the_editor_sees_what_it_waits_for(gan_world, weighted, enqueued, client):
    job = editor_job(gan_world)
    run_generation_job(job.pk)
    rendition_job(gan_world.image)
    rendition_worker.run_rendition_job(RenditionJob.objects.get().pk)
    client.force_login(gan_world.editor)
    page = client.get(reverse("wagtail_gan_admin:job", args=[job.pk])).content.decode()
    assert "Waiting for model weighted (an administrator can install it on the Models page)" \
        in page
    assert "The job failed" not in page and 'data-gan-job-waiting="weighted"' in page
    listing = client.get(reverse("wagtail_gan_jobs:index")).content.decode()
    assert "Waiting for model weighted" in listing
    assert reverse("wagtail_gan_admin:job_cancel", args=[job.pk]) in listing  # may cancel it
    body = api_client_for(gan_world.editor).get(
        reverse("wagtail_gan_api:job-detail", args=[job.pk])).json()
    assert (body["status"], body["waiting_for_model"]) == ("waiting", MODEL)
    status = client.get(reverse("wagtail_gan_admin:job_status", args=[job.pk])).json()
    assert status["finished"] is False and status["waiting_for_model"] == MODEL
    client.force_login(gan_world.admin)
    renditions = client.get("/admin/gan/renditions/").content.decode()
    assert "Waiting for model weighted" in renditions
    # The editor may still cancel it.
    client.force_login(gan_world.editor)
    client.post(reverse("wagtail_gan_admin:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "cancelled"
    install.install(registry.get(MODEL))
    assert ("job", job.pk) not in enqueued


def test_a_model_installed_while_the_job_failed_releases_it_at_once(gan_world, weighted):
    job = editor_job(gan_world)
    GenerationJob.objects.filter(pk=job.pk).update(status="running")
    install.install(registry.get(MODEL))  # the install's release found nothing waiting yet
    outcome = waiting.wait(GenerationJob.objects.filter(pk=job.pk, status="running"), MODEL)
    assert outcome.requeue == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.waiting_for) == ("queued", MODEL)


def test_the_sweep_releases_jobs_whose_model_arrived_another_way(gan_world, weighted,
                                                                 enqueued):
    rendition = rendition_job(gan_world.image)
    rendition_worker.run_rendition_job(rendition.pk)
    install._install(registry.get(MODEL), offline=False, stream=None, on_progress=None)
    assert enqueued == []  # no signal: files copied in by hand, say
    # Waiting a day does not expire it, and once released its expiry clock restarts.
    RenditionJob.objects.filter(pk=rendition.pk).update(
        created_at=timezone.now() - timedelta(days=3))
    counts = tasks.sweep_renditions.call_local()
    assert counts["released"] == 1 and enqueued == [("rendition", rendition.pk)]
    counts = tasks.sweep_renditions.call_local()
    rendition.refresh_from_db()
    assert rendition.status == "pending" and counts["expired"] == 0


def test_only_a_missing_model_makes_a_job_wait(gan_world, slow_model):
    slow_model("stylize", fail="The style is not right.")
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    assert str(run_generation_job(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.waiting_for == ""


def test_a_stand_in_releases_the_jobs_of_the_model_it_stands_in_for(settings):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS": {}}  # the built-in entries
    assert "isnet_general_use" in waiting.satisfied_by("isnet_general_use_small")
    assert "big_lama" not in waiting.satisfied_by("isnet_general_use_small")
    assert waiting.satisfied_by("big_lama") == {"big_lama"}


def test_the_error_names_the_missing_model(weighted):
    with pytest.raises(ModelNotInstalled) as caught:
        spec = parse_spec("stylize-3")
        engine.run(spec.model_key, Image.new("RGB", (8, 8)), params=spec.params)
    assert caught.value.model_id == MODEL
