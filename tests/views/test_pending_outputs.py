"""A pending output is served the same way by the admin's job page and by the API
(``jobs.outputs.serve_output``): the owner gets the file, privately cached (the admin's pages
are never cached at all: Wagtail's admin adds no-store) and never type-sniffed; a bad index,
an entry without a file, a file gone and a discarded job are 404s."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.helpers import api_client_for
from tests.gan_admin_fixtures import write_pending_output
from wagtail_gan import jobs
from wagtail_gan.jobs.outputs import pending_storage
from wagtail_gan.models import GenerationJob


def admin_url(job, index):
    return reverse("wagtail_gan_admin:job_output", args=[job.pk, index])


def api_url(job, index):
    return reverse("wagtail_gan_api:job-output", args=[job.pk, index])


@pytest.fixture
def job_with_output(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x", seed=4)
    write_pending_output(job, width=80, height=60)
    job.refresh_from_db()
    return job


def test_admin_and_api_serve_the_same_file_and_headers(gan_world, job_with_output):
    job = job_with_output
    admin = Client()
    admin.force_login(gan_world.editor)
    responses = [admin.get(admin_url(job, 0)), api_client_for(gan_world.editor).get(
        api_url(job, 0))]
    bodies = [b"".join(response.streaming_content) for response in responses]
    for response in responses:
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("private")
    assert "no-store" in responses[0]["Cache-Control"]
    assert responses[1]["Cache-Control"] == "private, max-age=3600"
    assert bodies[0] == bodies[1] and bodies[0][:2] == b"\xff\xd8"


def test_missing_outputs_are_404_in_both(gan_world, job_with_output):
    job = job_with_output
    admin = Client()
    admin.force_login(gan_world.editor)
    api = api_client_for(gan_world.editor)
    # an index past the outputs
    assert admin.get(admin_url(job, 3)).status_code == 404
    response = api.get(api_url(job, 3))
    assert response.status_code == 404
    assert response.json() == {"detail": f"Job {job.pk} has no output 3."}
    # an entry without a file name (the storage's root must not be opened)
    GenerationJob.objects.filter(pk=job.pk).update(outputs=[{"name": "", "width": 1}, None])
    for index in (0, 1):
        assert admin.get(admin_url(job, index)).status_code == 404
        assert api.get(api_url(job, index)).status_code == 404
    # the file is gone
    GenerationJob.objects.filter(pk=job.pk).update(outputs=job.outputs)
    pending_storage().delete(job.outputs[0]["name"])
    assert admin.get(admin_url(job, 0)).status_code == 404
    response = api.get(api_url(job, 0))
    assert response.status_code == 404
    assert response.json() == {"detail": "The output file is gone (kept or discarded)."}
    # discarded
    jobs.discard_job(job, gan_world.editor)
    assert admin.get(admin_url(job, 0)).status_code == 404
    assert api.get(api_url(job, 0)).status_code == 404
