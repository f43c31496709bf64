"""The ML renditions admin listing: readable rows (durations, long errors shortened), jobs and their
errors, filters, re-queue from the edit view, a query count that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.renditions.helpers import huey_counts, run_job
from wagtail_gan.models import RenditionJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def test_ml_renditions_listing_is_readable(make_image, admin_client):
    image = make_image(title="Harbour")
    long_error = "Model x is not installed: " + "run gan_models install x " * 20
    RenditionJob.objects.create(image=image, filter_spec="width-480|stylize-7|poolslot-3",
                                status=RenditionJob.Status.FAILED, error=long_error,
                                attempts=1, model_id="styletransfer_multistyle26",
                                duration=0.17575035800018668)
    html = admin_client.get("/admin/gan/renditions/").content.decode()
    # jobs come from rendering templates: nothing to add by hand
    assert "Add ML rendition job" not in html
    assert "0.18 s" in html and "0.17575" not in html
    assert "width-480|stylize-7|poolslot-3" in html and "Harbour" in html
    # the error is shortened in the table, complete in the tooltip
    assert f'title="{long_error}"' in html
    assert html.count(long_error) == 1
    assert '<col width="22%"' in html


def test_admin_listing_shows_jobs_and_errors(make_image, admin_client):
    image = make_image()
    image.get_rendition("stylize-image424242")
    run_job(RenditionJob.objects.get().pk)
    response = admin_client.get("/admin/gan/renditions/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "stylize-image424242" in body and "does not exist" in body
    assert "stylize-image424242" in admin_client.get(
        "/admin/gan/renditions/", {"q": "424242", "status": "failed"}).content.decode()
    assert "stylize-image424242" not in admin_client.get(
        "/admin/gan/renditions/", {"status": "done"}).content.decode()
    job = RenditionJob.objects.get()
    before = huey_counts()
    response = admin_client.post(f"/admin/gan/renditions/edit/{job.pk}/", {"status": "pending"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("pending", 0, "")
    assert huey_counts() == before + 1


def test_admin_listing_query_count_does_not_grow_with_rows(make_image, admin_client):
    counts = []
    for n in (1, 4):
        for i in range(n):
            make_image(title=f"rows {n}-{i}").get_rendition("stylize-3")
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get("/admin/gan/renditions/").status_code == 200
        counts.append(len(ctx))
    assert RenditionJob.objects.count() == 5
    assert counts[0] == counts[1]
