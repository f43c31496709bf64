"""The API's jobs: listing (own jobs, all for superusers, filters, pagination, a query count that
does not grow), detail, cancel, keep/discard, private pending outputs, and a finished job followed
from submission to its kept image's variants."""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import API, api_client_for, finished_job, make_job, post
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import Variant


def test_job_list_shows_own_jobs_and_all_for_superusers(api_world):
    mine = make_job(api_world, api_world.editor)
    theirs = make_job(api_world, api_world.viewer, status="failed", error="boom")
    editor = api_client_for(api_world.editor).get(API + "jobs/").json()
    assert editor["count"] == 1 and [j["id"] for j in editor["results"]] == [mine.pk]
    admin = api_client_for(api_world.admin).get(API + "jobs/").json()
    assert {j["id"] for j in admin["results"]} == {mine.pk, theirs.pk}
    failed = api_client_for(api_world.admin).get(API + "jobs/?status=failed").json()
    assert [j["id"] for j in failed["results"]] == [theirs.pk]
    assert failed["results"][0]["error"] == "boom"
    bad = api_client_for(api_world.admin).get(API + "jobs/?status=exploded")
    assert bad.status_code == 400 and "status" in bad.json()
    kind = api_client_for(api_world.admin).get(API + "jobs/?kind=generate").json()
    assert kind["count"] == 0


def test_job_list_paginates(api_world):
    for _ in range(3):
        make_job(api_world, api_world.editor)
    page = api_client_for(api_world.editor).get(API + "jobs/?limit=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    page2 = api_client_for(api_world.editor).get(page["next"]).json()
    assert len(page2["results"]) == 1


def test_job_detail_visibility(api_world):
    job = make_job(api_world, api_world.editor, progress=40, status="running")
    detail = api_client_for(api_world.editor).get(API + f"jobs/{job.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["progress"], body["operation"]) == ("running", 40, "stylize-3")
    assert body["source_image"] == api_world.image.pk and body["result_image"] is None
    assert body["uuid"] == str(job.uuid) and body["user"] == "editor"
    assert api_client_for(api_world.viewer).get(API + f"jobs/{job.pk}/").status_code == 404
    assert api_client_for(api_world.admin).get(API + f"jobs/{job.pk}/").status_code == 200
    assert api_client_for(api_world.editor).get(API + "jobs/987654/").status_code == 404
    huge = api_client_for(api_world.editor).get(API + f"jobs/{2**70}/")
    assert huge.status_code == 404


def test_cancel_queued_job(api_world):
    job = make_job(api_world, api_world.editor)
    client = api_client_for(api_world.editor)
    assert api_client_for(api_world.viewer).delete(API + f"jobs/{job.pk}/").status_code == 404
    response = client.delete(API + f"jobs/{job.pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled"
    again = client.delete(API + f"jobs/{job.pk}/")
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]


def test_cancel_running_job_is_409(api_world):
    job = make_job(api_world, api_world.editor, status="running")
    response = api_client_for(api_world.admin).delete(API + f"jobs/{job.pk}/")
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == "running"


def test_keep_without_output_is_400(api_world):
    job = make_job(api_world, api_world.editor)
    response = api_client_for(api_world.editor).post(API + f"jobs/{job.pk}/keep/", {},
                                                     format="json")
    assert response.status_code == 400
    assert api_client_for(api_world.viewer).post(
        API + f"jobs/{job.pk}/keep/", {}, format="json").status_code == 404


def test_discard_queued_job_cancels_it(api_world):
    job = make_job(api_world, api_world.editor)
    response = api_client_for(api_world.editor).post(API + f"jobs/{job.pk}/discard/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_pending_outputs_are_private(api_world, settings):
    job = finished_job(api_world)
    name = job.outputs[0]["name"]
    # not in the public media space
    assert not (Path(settings.MEDIA_ROOT) / name).exists()
    body = api_client_for(api_world.editor).get(API + f"jobs/{job.pk}/").json()
    url = body["outputs"][0]["url"]
    assert f"/api/gan/jobs/{job.pk}/outputs/0/" in url and "gan_pending" not in url
    owner = api_client_for(api_world.editor).get(url)
    assert owner.status_code == 200 and owner["Content-Type"].startswith("image/")
    assert owner["Cache-Control"] == "private, max-age=3600"
    assert b"".join(owner.streaming_content)[:2] in (b"\xff\xd8", b"\x89P")
    # other users (even with access to the image) and anonymous visitors get nothing
    assert api_client_for(api_world.viewer).get(url).status_code == 404
    assert api_client_for(None).get(url).status_code == 401
    assert api_client_for(api_world.editor).get(
        API + f"jobs/{job.pk}/outputs/5/").status_code == 404
    # kept: the library image is public as usual, the pending file is gone
    post(api_client_for(api_world.editor), f"jobs/{job.pk}/keep/", {"index": 0})
    assert api_client_for(api_world.editor).get(url).status_code == 404


def test_finished_job_round_trip(api_world):
    """Submit through the API, run the job (dummy backend), keep the output, and follow it
    through job detail and the image's variants."""

    client = api_client_for(api_world.editor)
    created = post(client, "variants/", {"image": api_world.image.pk,
                                         "operation": "stylize-3", "seed": 5})
    assert created.status_code == 202
    job_id = created.json()["id"]
    run_generation_job(job_id)
    detail = client.get(API + f"jobs/{job_id}/").json()
    assert detail["status"] == "succeeded", detail["error"]
    assert detail["progress"] == 100
    assert detail["model_id"] and len(detail["model_sha256"]) == 64
    assert len(detail["outputs"]) == 1
    output = detail["outputs"][0]
    assert (output["width"], output["height"]) == (48, 32)
    # private until kept: served by the API to the owner, not a media URL
    assert output["url"] == f"http://testserver/api/gan/jobs/{job_id}/outputs/0/"
    kept = client.post(API + f"jobs/{job_id}/keep/", {"index": 0}, format="json")
    assert kept.status_code == 200, kept.content
    result = kept.json()["result_image"]
    assert result["width"] == 48 and result["renditions"]["medium"]
    assert kept.json()["outputs"] == []
    variants = client.get(API + f"images/{api_world.image.pk}/variants/").json()["results"]
    assert [v["image"] for v in variants] == [result["id"]]
    assert variants[0]["model_sha256"] == detail["model_sha256"]
    # stylize is deterministic: the engine records no seed for it, and neither does provenance
    assert variants[0]["seed"] == output["seed"]


def test_job_list_query_count_does_not_grow_with_jobs(api_world, make_image):
    client = api_client_for(api_world.editor)

    def add_finished_jobs(n):
        for i in range(n):
            result = make_image(title=f"Result {i}", collection=api_world.allowed)
            job = make_job(api_world, api_world.editor, status="succeeded", result_image=result)
            Variant.objects.create(image=result, source_image=api_world.image, job=job,
                                   operation="stylize-3", user=api_world.editor)

    def count_queries():
        client.get(API + "jobs/")  # first call renders the renditions
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(API + "jobs/").json()
        assert all(j["result_image"]["renditions"]["thumbnail"] for j in body["results"])
        return len(ctx.captured_queries), body["count"]

    add_finished_jobs(2)
    few, count = count_queries()
    assert count == 2
    add_finished_jobs(4)
    many, count = count_queries()
    assert count == 6
    assert many == few
