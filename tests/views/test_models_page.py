"""The admin's Models page: the models of the registry, and install/verify/remove queued on the
worker."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import gan_models_override
from tests.gan_admin_fixtures import login
from wagtail_gan.models import ModelTask
from wagtail_gan.models_admin.worker import run_model_task

pytestmark = pytest.mark.django_db


def test_models_page_lists_models_and_queues_work(gan_world, settings):
    w = gan_world
    gan_models_override(settings, {
        "test_sr": {"task": "upscale", "family": "spandrel", "url": "http://127.0.0.1:9/tiny.pth",
                    "sha256": "0" * 64, "size": 2048, "licence": "MIT"},
        "test_hf": {"task": "edit", "family": "diffusion", "repo": "someone/model"},
    })
    url = reverse("wagtail_gan_admin:models")
    assert login(w.editor).get(url).status_code == 403
    client = login(w.admin)
    html = client.get(url).content.decode()
    assert "realesrgan_x4plus" in html and "test_sr" in html and "MIT" in html
    assert "http://127.0.0.1:9/tiny.pth" in html and "2.0\xa0KB" in html
    assert 'name="revision"' in html  # test_hf pins no revision: a field to pin one
    assert "Models" in client.get(reverse("wagtailadmin_home")).content.decode()
    action = reverse("wagtail_gan_admin:model_action", args=["test_sr", "install"])
    response = client.post(action, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    assert client.post(action, HTTP_ACCEPT="application/json").status_code == 409
    bad = client.post(reverse("wagtail_gan_admin:model_action", args=["test_hf", "install"]),
                      {"revision": "main"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "40-character" in bad.json()["error"]
    assert client.post(reverse("wagtail_gan_admin:model_action", args=["nope", "install"])
                       ).status_code == 404
    # the worker: no route to the source -> the exact error, kind "network"
    task = ModelTask.objects.get(model_id="test_sr")
    assert run_model_task(task.pk) == "failed"
    task.refresh_from_db()
    assert task.error_kind == "network" and "Download of http://127.0.0.1:9/tiny.pth" in task.message
    state = client.get(reverse("wagtail_gan_admin:models_status")).json()["models"]["test_sr"]
    assert state["installed"] is False and state["state"]["status"] == "failed"
    html = client.get(url).content.decode()
    assert "could not reach the source" in html
