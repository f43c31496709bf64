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


UNKNOWN_URLS = ["nope/", "jobs", "jobs/1/nope/", "video/nope/", "video/jobs/1/nope/", "variants"]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", UNKNOWN_URLS)
def test_unknown_urls_are_json_404_for_every_method(api_world, path, method):
    """Even a logged-in session without a CSRF token gets the API's JSON 404 for a URL that
    does not exist (not Django's HTML CSRF page); anonymous clients too."""
    session = APIClient(enforce_csrf_checks=True)
    session.login(username="editor", password="pw")
    for client in (session, api_client_for(None), api_client_for(api_world.editor)):
        response = getattr(client, method)(API + path)
        assert response.status_code == 404, (path, method, response.content[:200])
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path,method", [
    ("variants/", "get"), ("variants/", "delete"), ("generate/", "put"),
    ("jobs/", "post"), ("jobs/1/", "patch"), ("operations/", "delete"),
    ("video/clips/", "get"), ("video/interpolate/", "delete"),
])
def test_known_urls_answer_unsupported_methods_with_json_405(api_world, path, method):
    response = getattr(api_client_for(api_world.editor), method)(API + path)
    assert response.status_code == 405, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json() and "Allow" in response
    # a session without a CSRF token: still JSON (DRF's CSRF refusal comes first)
    session = APIClient(enforce_csrf_checks=True)
    session.login(username="editor", password="pw")
    answer = getattr(session, method)(API + path)
    assert answer.status_code in (403, 405) and answer["Content-Type"] == "application/json"
