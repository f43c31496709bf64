"""REST API authentication: token and session (with CSRF), 401 for anonymous requests, 403 for users
without admin access; nothing is created on refusal."""

from __future__ import annotations

import pytest
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from tests.api.helpers import API, api_client_for, post
from wagtail_gan.models import GenerationJob

GET_ENDPOINTS = ["models/", "operations/", "jobs/", "jobs/1/", "images/1/variants/"]


POST_ENDPOINTS = ["variants/", "generate/", "jobs/1/keep/", "jobs/1/discard/"]


@pytest.mark.parametrize("path", GET_ENDPOINTS)
def test_anonymous_get_is_401_with_token_challenge(api_world, path):
    response = api_client_for(None).get(API + path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_anonymous_post_is_401_and_creates_nothing(api_world, path):
    response = post(api_client_for(None), path, {"image": api_world.image.pk,
                                                 "operation": "stylize-3"})
    assert response.status_code == 401
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize("path", GET_ENDPOINTS + ["variants/"])
def test_user_without_admin_access_is_403(api_world, path):
    client = api_client_for(api_world.nonadmin)
    response = client.get(API + path) if path != "variants/" else post(
        client, path, {"image": api_world.image.pk, "operation": "stylize-3"})
    assert response.status_code == 403
    assert GenerationJob.objects.count() == 0


def test_bad_token_is_401(api_world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(API + "models/").status_code == 401


def test_session_auth_works_and_enforces_csrf(api_world):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="editor", password="pw")
    assert client.get(API + "operations/").status_code == 200
    body = {"image": api_world.image.pk, "operation": "stylize-3"}
    refused = client.post(API + "variants/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert GenerationJob.objects.count() == 0
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post(API + "variants/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 202, accepted.content
    assert GenerationJob.objects.get().user == api_world.editor
