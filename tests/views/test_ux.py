"""What users see: the admin listings, the job and form pages, and bad input (SVG, unreadable
files, over-long instructions) that must end in a clear message, never a 500."""

from __future__ import annotations

import pytest

from wagtail_gan.jobs.worker import run_generation_job
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
    # coarse model progress: the page says what the job is waiting for (gan-admin.js adds the time)
    assert 'data-gan-job-target="hint"' in html and "waiting for a worker…" in html
    # finished: the Keep/Discard column sits beside the before/after comparison
    write_pending_output(job)
    html = client.get(url).content.decode()
    assert 'data-gan-job-target="hint"' not in html
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


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" '
       b'height="20" fill="red"/></svg>')


def _svg_image(collection):
    from django.core.files.base import ContentFile
    from wagtail.images import get_image_model

    image = get_image_model()(title="Logo", collection=collection,
                              file=ContentFile(SVG, name="logo.svg"))
    image.save()
    return image


def test_svg_images_are_refused_as_sources_with_a_clear_message(gan_world):
    from django.urls import reverse
    from rest_framework.test import APIClient

    from wagtail_gan.models import GenerationJob

    svg = _svg_image(gan_world.team)
    client = _client(gan_world.editor)
    html = client.get(reverse("wagtailimages:edit", args=[svg.pk])).content.decode()
    assert "data-gan-vector" in html and 'data-controller="gan-variant-form"' not in html
    response = client.post(reverse("wagtail_gan_admin:generate_variant", args=[svg.pk]),
                           {"operation": "upscale-2x"})
    assert response.status_code == 400
    assert "is an SVG (vector) image" in response.content.decode()
    # ... as a style reference too
    response = client.post(reverse("wagtail_gan_admin:generate_variant",
                                   args=[gan_world.image.pk]),
                           {"operation": "style-image", "style_image": svg.pk})
    assert response.status_code == 400
    assert "is an SVG (vector) image" in response.content.decode()
    api = APIClient()
    api.force_authenticate(gan_world.editor)
    response = api.post("/api/gan/variants/", {"image": svg.pk, "operation": "stylize-3"},
                        format="json")
    assert response.status_code == 400
    assert "SVG" in str(response.json())
    assert GenerationJob.objects.count() == 0


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage"])
def test_a_job_whose_source_file_is_corrupt_fails_with_a_clear_message(gan_world, content):
    from wagtail_gan import jobs
    from wagtail_gan.models import GenerationJob

    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-3")
    with gan_world.image.file.storage.open(gan_world.image.file.name, "wb") as fh:
        fh.write(content)
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert job.error.startswith("The file of “Harbour” cannot be read as an image")
    assert "Unexpected error" not in job.error
    html = _client(gan_world.editor).get(f"/admin/gan/jobs/{job.pk}/").content.decode()
    assert "cannot be read as an image" in html


def test_a_failed_text_to_image_job_does_not_mention_an_original(gan_world):
    from wagtail_gan import jobs
    from wagtail_gan.models import GenerationJob

    job = jobs.submit_generate_job(user=gan_world.editor, prompt="a lighthouse",
                                   collection=gan_world.team)
    GenerationJob.objects.filter(pk=job.pk).update(status="failed", error="Model sd_turbo is "
                                                   "not installed")
    html = _client(gan_world.editor).get(f"/admin/gan/jobs/{job.pk}/").content.decode()
    assert "The job failed; nothing was added to the library." in html
    assert "original image" not in html


def test_the_variant_url_opened_directly_leads_to_the_image(gan_world):
    from django.urls import reverse

    url = reverse("wagtail_gan_admin:generate_variant", args=[gan_world.image.pk])
    response = _client(gan_world.editor).get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailimages:edit", args=[gan_world.image.pk])


def test_panel_uses_layout_classes_that_exist(gan_world):
    """Wagtail's compiled CSS has no md:w-grid-cols-2: the panel's two columns are our own."""
    from pathlib import Path

    from django.contrib.staticfiles import finders
    from django.urls import reverse

    html = _client(gan_world.editor).get(
        reverse("wagtailimages:edit", args=[gan_world.image.pk])).content.decode()
    assert 'class="gan-variant-form__cols"' in html and "md:w-grid-cols-2" not in html
    css = Path(finders.find("wagtail_gan/css/gan-admin.css")).read_text()
    assert ".gan-variant-form__cols" in css


def test_panel_says_why_it_is_missing_without_add_permission(gan_world):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.urls import reverse

    from tests.gan_admin_fixtures import grant

    changers = Group.objects.create(name="Change only")
    changers.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                    codename="access_admin"))
    grant(changers, gan_world.team, "change_image", "choose_image")
    user = get_user_model().objects.create_user("changer", "c@example.com", "pw")
    user.groups.add(changers)
    html = _client(user).get(reverse("wagtailimages:edit", args=[gan_world.image.pk]))
    html = html.content.decode()
    assert "data-gan-no-target" in html and 'data-controller="gan-variant-form"' not in html
    # an editor who may add somewhere gets the form, not the note
    html = _client(gan_world.editor).get(
        reverse("wagtailimages:edit", args=[gan_world.image.pk])).content.decode()
    assert "data-gan-no-target" not in html and 'data-controller="gan-variant-form"' in html


def test_candidates_page_says_only_one_is_kept(gan_world):
    from tests.gan_admin_fixtures import write_pending_output
    from wagtail_gan import jobs
    from wagtail_gan.models import GenerationJob

    job = jobs.submit_generate_job(user=gan_world.editor, prompt="a lighthouse",
                                   collection=gan_world.team, count=2)
    GenerationJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    write_pending_output(job)
    write_pending_output(job)
    client = _client(gan_world.editor)
    html = client.get(f"/admin/gan/jobs/{job.pk}/").content.decode()
    assert "Keeping one adds it to the library and discards the others." in html
    assert "You keep one of them." in client.get("/admin/gan/generate/").content.decode()
