"""The OpenAPI schema (JSON and YAML): every path of the API and its security schemes; the
endpoints that share one view or one POST (keep/discard, the four submitting endpoints) still
tell each operation apart, and the status/kind enums of jobs, video jobs and model tasks keep
their own component names."""

from __future__ import annotations

import json

from tests.api.helpers import API, api_client_for


def get_schema():
    response = api_client_for(None).get("/api/gan/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_json_and_yaml(api_world):
    client = api_client_for(None)
    response = client.get(API + "schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/gan/variants/", "/api/gan/generate/", "/api/gan/interpret/", "/api/gan/jobs/",
        "/api/gan/jobs/{id}/",
        "/api/gan/jobs/{id}/keep/", "/api/gan/jobs/{id}/discard/",
        "/api/gan/jobs/{id}/outputs/{index}/",
        "/api/gan/images/{id}/variants/", "/api/gan/models/", "/api/gan/operations/",
        "/api/gan/video/interpolate/", "/api/gan/video/clips/", "/api/gan/video/jobs/{id}/",
        "/api/gan/models/{id}/{action}/", "/api/gan/models/tasks/{id}/",
        "/api/gan/models/{id}/pin/",
    }
    post_variants = schema["paths"]["/api/gan/variants/"]["post"]
    assert {"202", "400", "401", "403", "404", "422", "429"} <= set(post_variants["responses"])
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    yaml = client.get(API + "schema/")
    assert yaml.status_code == 200 and b"openapi: 3." in yaml.content


def test_keep_and_discard_are_two_operations(db):
    paths = get_schema()["paths"]
    keep = paths["/api/gan/jobs/{id}/keep/"]["post"]
    discard = paths["/api/gan/jobs/{id}/discard/"]["post"]
    assert (keep["operationId"], discard["operationId"]) == ("jobs_keep", "jobs_discard")
    assert keep["summary"].startswith("Keep an output")
    assert discard["summary"].startswith("Discard a job's outputs")
    assert keep["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/KeepRequestRequest"}
    assert "requestBody" not in discard
    assert keep["responses"]["400"]["description"] == "Nothing to keep, or bad index."
    assert discard["responses"]["400"]["description"] == "The job is still running."
    for operation in (keep, discard):
        assert [p["name"] for p in operation["parameters"]] == ["id"]
        assert {"200", "400", "401", "403", "404"} == set(operation["responses"])


def test_submitting_endpoints_each_document_their_request_and_answer(db):
    paths = get_schema()["paths"]
    expected = {
        "/api/gan/variants/": ("variants_create", "VariantRequestRequest", "Job"),
        "/api/gan/generate/": ("generate_create", "GenerateRequestRequest", "Job"),
        "/api/gan/video/interpolate/": ("video_interpolate", "InterpolateRequestRequest",
                                        "VideoJob"),
        "/api/gan/video/clips/": ("video_clip", "ClipRequestRequest", "VideoJob"),
    }
    for path, (operation_id, request, answer) in expected.items():
        post = paths[path]["post"]
        assert post["operationId"] == operation_id
        assert post["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{request}"}
        assert post["responses"]["202"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{answer}"}
        assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key"]
        assert {"400", "401", "403", "404", "422", "429"} <= set(post["responses"])


def test_status_and_kind_enums_keep_their_names(db):
    schemas = get_schema()["components"]["schemas"]

    def enum_of(component, field):
        prop = schemas[component]["properties"][field]
        ref = prop.get("$ref") or prop["allOf"][0]["$ref"]
        return ref.rsplit("/", 1)[1], schemas[ref.rsplit("/", 1)[1]]["enum"]

    statuses = ["queued", "running", "succeeded", "failed", "cancelled"]
    # "waiting": a job whose model is not installed waits for it (issue 24.1; one JobStatus)
    assert enum_of("Job", "status") == ("StatusEnum", [*statuses, "waiting"])
    assert enum_of("VideoJob", "status") == ("StatusEnum", [*statuses, "waiting"])
    assert enum_of("Job", "kind") == ("KindEnum", ["variant", "generate"])
    assert enum_of("VideoJob", "kind") == ("VideoJobKindEnum", ["interpolate", "stills"])
    assert enum_of("ModelTask", "status") == (
        "ModelTaskStatusEnum", statuses)  # model tasks share the job lifecycle (cancel too)
