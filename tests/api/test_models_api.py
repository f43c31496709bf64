"""The Models page's actions through the API: superusers and holders of manage_models queue
install / verify / remove on the worker and follow the task."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.api.helpers import API, api_client_for, post
from wagtail_gan.models import ModelTask


def test_only_model_managers_may_act(api_world):
    for user in (None, api_world.editor):
        client = api_client_for(user)
        response = post(client, "models/realesrgan_x4plus/install/", {})
        assert response.status_code in (401, 403) and "detail" in response.json()
        assert client.get(API + "models/tasks/1/").status_code in (401, 403)
    assert ModelTask.objects.count() == 0


def test_install_is_queued_and_followed(api_world, django_capture_on_commit_callbacks):
    # a group permission is enough (the Models page's "Can install, verify and remove")
    api_world.editor.user_permissions.add(
        Permission.objects.get(codename="manage_models", content_type__app_label="wagtail_gan"))
    client = api_client_for(api_world.editor)
    with django_capture_on_commit_callbacks() as queued:
        response = post(client, "models/realesrgan_x4plus/install/", {})
    assert response.status_code == 202, response.content
    task = response.json()
    assert (task["model_id"], task["action"], task["status"]) == (
        "realesrgan_x4plus", "install", "queued")
    assert len(queued) == 1  # the worker does the download
    busy = post(client, "models/realesrgan_x4plus/verify/", {})
    assert busy.status_code == 409 and "already has a task" in busy.json()["non_field_errors"][0]
    followed = client.get(API + f"models/tasks/{task['id']}/")
    assert followed.status_code == 200 and followed.json()["id"] == task["id"]
    assert client.get(API + "models/tasks/999999/").status_code == 404


@pytest.mark.parametrize("path, body, code, field", [
    ("models/no_such_model/install/", {}, 404, "detail"),
    ("models/realesrgan_x4plus/explode/", {}, 404, "detail"),
    ("models/realesrgan_x4plus/install/", {"revision": "abc"}, 400, "revision"),
    ("models/dummy_stylize/install/", {}, 400, "non_field_errors"),  # needs no weights
    ("models/realesrgan_x4plus/install/", [1], 400, "detail"),
])
def test_bad_model_actions_are_json_errors(api_world, path, body, code, field):
    response = post(api_client_for(api_world.admin), path, body)
    assert response.status_code == code and field in response.json(), response.content
    assert ModelTask.objects.count() == 0
