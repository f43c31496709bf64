"""Issue 24.3 and 24.4 on the Models page and the API: a Hugging Face revision entered for an
unpinned entry is kept (``ModelPin``) until removed, shown with a remove control, used by later
installs, verifications and the worker's model loads; ``WAGTAIL_GAN["MODELS"]`` wins over it.
Install progress (bytes or steps) comes with an ETA on the page and in ``GET
models/tasks/{id}/``. The hub is faked (``tests.models_zoo.test_install_progress.FakeHub``)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.api.helpers import api_client_for
from tests.conftest import gan_models_override
from tests.models_zoo.test_install_progress import FILES, REV_A, REV_B, WANTED, FakeHub
from wagtail_gan.models import ModelPin, ModelTask
from wagtail_gan.models_admin import worker as model_worker
from wagtail_gan.models_zoo import engine, install, registry
from wagtail_gan.models_zoo.errors import ModelNotInstalled

pytestmark = pytest.mark.django_db
REV_C = "c" * 40
MODEL = "test_hf"


@pytest.fixture
def hf_model(settings, tmp_path, monkeypatch):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models")}
    gan_models_override(settings, {MODEL: {"task": "edit", "family": "diffusers_pix2pix",
                                           "repo": "someone/tiny"}})
    return FakeHub(FILES).install(monkeypatch)


def admin(world) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def action(client, name: str, **data):
    return client.post(reverse("wagtail_gan_admin:model_action", args=[MODEL, name]), data,
                       HTTP_ACCEPT="application/json")


def run(task_id: int) -> ModelTask:
    model_worker.run_model_task(task_id)
    return ModelTask.objects.get(pk=task_id)


def row(html: str) -> str:
    """The Models page's row of MODEL."""
    return re.search(rf'<tr id="model-{MODEL}".*?</tr>', html, re.S).group(0)


def test_a_pin_entered_on_the_page_is_kept_and_used_until_removed(gan_world, hf_model):
    client = admin(gan_world)
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    assert f'id="rev-{MODEL}"' in row(page)  # unpinned: a field to pin it
    task = run(action(client, "install", revision=REV_A.upper()).json()["id"])
    assert task.status == "succeeded" and task.revision == REV_A
    assert ModelPin.objects.get(model_id=MODEL).revision == REV_A
    assert (task.progress_unit, task.done_bytes, task.total_bytes) == ("bytes", WANTED, WANTED)
    assert registry.read_manifest(MODEL)["revision"] == REV_A
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    assert "Pinned here to version <code>aaaaaaaaaaaa…</code>" in row(page)
    assert "data-gan-unpin" in row(page) and f'id="rev-{MODEL}"' not in row(page)
    # Later installs and verifications use it (no revision given).
    assert run(action(client, "verify").json()["id"]).status == "succeeded"
    install.remove(registry.get(MODEL))
    task = run(action(client, "install").json()["id"])
    assert (task.status, task.revision) == ("succeeded", REV_A)
    # Removed: the next install needs a revision again.
    response = client.post(reverse("wagtail_gan_admin:model_unpin", args=[MODEL]))
    assert response.status_code == 302 and not ModelPin.objects.exists()
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    assert f'id="rev-{MODEL}"' not in row(page)  # installed: no install form
    install.remove(registry.get(MODEL))
    task = run(action(client, "install").json()["id"])
    assert task.status == "failed" and task.error_kind == "unpinned"
    assert "Pin one on the Models page" in task.message


def test_the_worker_loads_only_the_pinned_revision(gan_world, hf_model):
    client = admin(gan_world)
    run(action(client, "install", revision=REV_A).json()["id"])
    assert registry.is_installed(registry.pinned(registry.get(MODEL)))
    # Pinned to another commit (the API): the installed snapshot is not used any more.
    api = api_client_for(gan_world.admin)
    response = api.put(reverse("wagtail_gan_api:model-pin", args=[MODEL]),
                       {"revision": REV_B}, format="json")
    assert response.status_code == 200
    assert response.json() == {"revision": REV_B, "pinned_by": "page"}
    with pytest.raises(ModelNotInstalled) as missing:
        engine.run(MODEL, Image.new("RGB", (8, 8)), prompt="make it pink")
    assert missing.value.model_id == MODEL  # an editor job would wait for it
    task = run(action(client, "verify").json()["id"])
    assert task.status == "failed" and "install it again" in task.message
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    assert "data-gan-other-revision" in row(page)
    task = run(action(client, "install").json()["id"])
    assert (task.status, task.revision) == ("succeeded", REV_B)
    assert registry.read_manifest(MODEL)["revision"] == REV_B
    assert registry.weights_path(registry.pinned(registry.get(MODEL))) is not None


def test_settings_win_over_a_pin(gan_world, hf_model, settings):
    ModelPin.objects.create(model_id=MODEL, revision=REV_A)
    gan_models_override(settings, {MODEL: {"task": "edit", "family": "diffusers_pix2pix",
                                           "repo": "someone/tiny", "revision": REV_C}})
    entry = registry.pinned(registry.get(MODEL))
    assert entry.hf_source.revision == REV_C
    client = admin(gan_world)
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    assert "Version pinned by the site settings" in row(page) and "data-gan-unpin" not in row(page)
    refused = action(client, "install", revision=REV_B)
    assert refused.status_code == 400 and "site settings" in refused.json()["error"]
    api = api_client_for(gan_world.admin)
    response = api.put(reverse("wagtail_gan_api:model-pin", args=[MODEL]), {"revision": REV_B},
                       format="json")
    assert response.status_code == 400 and "revision" in response.json()
    task = run(action(client, "install").json()["id"])
    assert (task.status, task.revision) == ("succeeded", REV_C)


def test_the_api_pins_and_unpins_for_model_managers(gan_world, hf_model):
    url = reverse("wagtail_gan_api:model-pin", args=[MODEL])
    editor = api_client_for(gan_world.editor)
    assert editor.put(url, {"revision": REV_A}, format="json").status_code == 403
    api = api_client_for(gan_world.admin)
    bad = api.put(url, {"revision": "main"}, format="json")
    assert bad.status_code == 400 and "40-character" in bad.json()["revision"][0]
    assert api.put(reverse("wagtail_gan_api:model-pin", args=["nope"]), {"revision": REV_A},
                   format="json").status_code == 404
    assert api.put(url, {"revision": REV_A}, format="json").status_code == 200
    listed = {m["id"]: m for m in api.get(reverse("wagtail_gan_api:models")).json()}
    assert (listed[MODEL]["revision"], listed[MODEL]["pinned_by"]) == (REV_A, "page")
    assert f"@{REV_A}" in listed[MODEL]["source"]
    response = api.post(reverse("wagtail_gan_api:model-action", args=[MODEL, "install"]),
                        {}, format="json")
    assert response.status_code == 202 and response.json()["revision"] == REV_A
    ModelTask.objects.all().delete()
    assert api.delete(url).status_code == 204 and not ModelPin.objects.exists()
    assert api.delete(url).status_code == 404


def test_progress_in_steps_and_the_eta_on_the_page_and_the_api(gan_world, hf_model):
    started = timezone.now() - timedelta(seconds=10)
    task = ModelTask.objects.create(model_id=MODEL, action="install", status="running",
                                    started_at=started, heartbeat_at=timezone.now())
    model_worker.ProgressWriter(task.pk)(2, 5, "steps")
    client = admin(gan_world)
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    assert "step 2 of 5" in page and re.search(r"about (1[4-9]|2[0-2]) s left", page)
    body = api_client_for(gan_world.admin).get(
        reverse("wagtail_gan_api:model-task", args=[task.pk])).json()
    assert (body["progress_unit"], body["done_bytes"], body["total_bytes"]) == ("steps", 2, 5)
    assert body["percent"] == 40 and 14 <= body["eta_seconds"] <= 22  # 15 s + 1.5x the test's own time
    status = client.get(reverse("wagtail_gan_admin:models_status")).json()
    assert status["models"][MODEL]["state"]["eta_seconds"] in (14, 15)
    model_worker.ProgressWriter(task.pk)(3_000_000, 12_000_000)  # a download: bytes
    body = api_client_for(gan_world.admin).get(
        reverse("wagtail_gan_api:model-task", args=[task.pk])).json()
    assert body["progress_unit"] == "bytes" and body["percent"] == 25
    assert body["eta_seconds"] in (29, 30, 31)
