"""Property-based run of the whole API against a live test server with schemathesis.

The schema is fetched from the running server (``schema/?format=json``); for every operation
schemathesis generates a bounded number of schema-valid and schema-invalid requests, sent
with a real token, and checks: no 5xx, only documented status codes, documented content
types, bodies and headers that conform to the schema.
"""

from __future__ import annotations

import time

import pytest
from django.test import override_settings
from huey.contrib.djhuey import HUEY
from rest_framework.authtoken.models import Token

from tests.api.helpers import build_world
from wagtail_gan.conf import gan_settings
from wagtail_gan.jobs.worker import run_generation_job

EXAMPLES_PER_MODE = 25


def _drop_enqueued_tasks():
    """The accepted jobs were enqueued for real (no consumer runs here): leave no tasks
    behind for a later test's consumer."""
    HUEY.flush()


@pytest.mark.slow
def test_schemathesis_no_server_errors_and_schema_conformance(
    live_server, make_image, transactional_db, request
):
    hypothesis = pytest.importorskip("hypothesis")
    schemathesis = pytest.importorskip("schemathesis")
    # after importorskip: without schemathesis the test is skipped, not an import error
    from schemathesis.checks import not_a_server_error  # noqa: PLC0415
    from schemathesis.generation import GenerationMode  # noqa: PLC0415
    from schemathesis.specs.openapi.checks import (  # noqa: PLC0415
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    world = build_world(make_image)
    request.addfinalizer(_drop_enqueued_tasks)
    headers = {"Authorization": f"Token {Token.objects.create(user=world.editor).key}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/gan/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 20  # every path and method of the API (video, models, pins, interpret)

    by_label = {op.label: op for op in operations}

    def explicit(label, expected, **kwargs):
        case = by_label[label].Case(**kwargs)
        response = case.call_and_validate(
            base_url=live_server.url, headers=headers, checks=checks, timeout=30
        )
        assert response.status_code == expected, (label, response.text)
        return response.json()

    # Valid requests first (schemathesis rarely guesses a real image id): their 202/200
    # bodies are validated against the schema, and the data they create is then served to
    # the fuzzer's list and detail requests.

    job = explicit("POST /api/gan/variants/", 202, media_type="application/json",
                   body={"image": world.image.pk, "operation": "stylize-3", "seed": 1})
    explicit("POST /api/gan/variants/", 202, media_type="application/json",
             body={"image": world.image.pk, "instruction": "make it snowy", "strength": 0.5})
    explicit("POST /api/gan/generate/", 202, media_type="application/json",
             body={"prompt": "a lighthouse", "collection": world.allowed.pk, "count": 2})
    run_generation_job(job["id"])
    explicit("GET /api/gan/jobs/{id}/", 200, path_parameters={"id": job["id"]})
    kept = explicit("POST /api/gan/jobs/{id}/keep/", 200, path_parameters={"id": job["id"]},
                    media_type="application/json", body={"index": 0})
    assert kept["result_image"]["renditions"]["thumbnail"]
    variants = explicit("GET /api/gan/images/{id}/variants/", 200,
                        path_parameters={"id": world.image.pk})
    assert variants["count"] == 1
    listed = explicit("GET /api/gan/jobs/", 200, query={"limit": 2})
    assert listed["count"] == 3 and listed["next"]

    calls = {"count": 0, "statuses": set()}
    no_negative = []
    started = time.monotonic()
    settings = {**gan_settings.user_settings, "API_THROTTLE_RATE": "100000/hour"}
    with override_settings(WAGTAIL_GAN=settings):
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @hypothesis.settings(
                    max_examples=EXAMPLES_PER_MODE,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(hypothesis.HealthCheck),
                    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                )
                @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
                def run(case):
                    response = case.call_and_validate(
                        base_url=live_server.url, headers=headers, checks=checks, timeout=30
                    )
                    calls["count"] += 1
                    calls["statuses"].add(response.status_code)

                try:
                    run()
                except hypothesis.errors.Unsatisfiable:
                    # nothing to make invalid (e.g. GET models/ takes no input)
                    assert mode == GenerationMode.NEGATIVE, operation.label
                    no_negative.append(operation.label)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {calls['count']} requests in {elapsed:.1f}s, "
          f"statuses {sorted(calls['statuses'])}, no negative cases for {no_negative}")
    assert calls["count"] >= len(operations) * 2
    assert set(no_negative) <= {"GET /api/gan/models/", "GET /api/gan/operations/"}, no_negative
    assert not any(code >= 500 for code in calls["statuses"])
    # the run exercised success and refusal paths, not only one of them
    assert {200, 400, 404} <= calls["statuses"]
    assert elapsed < 120, f"schemathesis run took {elapsed:.0f}s"
