"""What users see: the admin listings, the job and form pages, and bad input (SVG, unreadable
files, over-long instructions) that must end in a clear message, never a 500."""

from __future__ import annotations

import pytest

from wagtail_gan.models import RenditionJob

pytestmark = pytest.mark.django_db


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


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_job_pages_show_progress_review_actions_and_errors(gan_world):
    import re

    from django.urls import reverse

    from tests.gan_admin_fixtures import write_pending_output
    from wagtail_gan import jobs
    from wagtail_gan.models import GenerationJob

    client = _client(gan_world.editor)
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x")
    url = reverse("wagtail_gan_admin:job", args=[job.pk])
    html = client.get(url).content.decode()
    assert re.search(r'class="gan-progress__label"[^>]*aria-live="polite" >0 %', html)
    # finished: the Keep/Discard column sits beside the before/after comparison
    write_pending_output(job)
    html = client.get(url).content.decode()
    layout = html[html.index('class="gan-review__layout"'):]
    assert layout.index("gan-compare") < layout.index("data-gan-keep") < layout.index(
        "data-gan-discard")
    # failed: the error, no "1 %" left over from the run
    GenerationJob.objects.filter(pk=job.pk).update(status="failed", progress=1, outputs=[],
                                                   error="Model x is not installed")
    html = client.get(url).content.decode()
    assert "Model x is not installed" in html
    assert re.search(r'class="gan-progress__label"[^>]*hidden>1 %', html)


def test_variant_form_errors_page_is_padded_like_the_admin(gan_world):
    import re

    from django.urls import reverse

    response = _client(gan_world.editor).post(
        reverse("wagtail_gan_admin:generate_variant", args=[gan_world.image.pk]), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<div class="nice-padding">\s*<div class="gan-image-panel"', html)
