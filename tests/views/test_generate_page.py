"""The admin's Generate new image (text-to-image) page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.gan_admin_fixtures import login, write_pending_output
from wagtail_gan.models import GenerationJob

pytestmark = pytest.mark.django_db


def test_generate_new_image_page(gan_world):
    w = gan_world
    client = login(w.editor)
    url = reverse("wagtail_gan_admin:generate")
    html = client.get(url).content.decode()
    assert "Generate new image" in html and ">Team<" in html and ">Stock<" not in html
    response = client.post(url, {"prompt": "a lighthouse", "collection": w.team.pk, "count": "3"})
    job = GenerationJob.objects.get()
    assert response["Location"] == reverse("wagtail_gan_admin:job", args=[job.pk])
    assert (job.kind, job.count, job.instruction) == ("generate", 3, "a lighthouse")
    assert client.post(url, {"prompt": "x", "collection": w.team.pk,
                             "count": "9"}).status_code == 400
    assert client.post(url, {"prompt": "x", "collection": w.stock.pk,
                             "count": "1"}).status_code == 400
    write_pending_output(job)
    write_pending_output(job)
    html = client.get(response["Location"]).content.decode()
    assert html.count("data-gan-keep") == 2 and "Pick the candidates" in html
    response = client.post(reverse("wagtail_gan_admin:job_keep", args=[job.pk]), {"index": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.result_image.title == "a lighthouse"
    # someone who may add images nowhere gets 403 and no menu item
    nobody = get_user_model().objects.create_user("nobody", "n@example.com", "pw")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert login(nobody).get(url).status_code == 403
    assert "Generate new image" not in login(nobody).get(reverse("wagtailadmin_home")).content.decode()
