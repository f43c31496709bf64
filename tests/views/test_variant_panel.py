"""The Generate variant panel on Wagtail's image edit page and its form: what it shows (hidden
without permission or for protected collections, a note without a target collection, unavailable
operations greyed out, our own layout classes, the style swatches), submission (HTML and JSON),
validation and its errors, permissions, CSRF, escaping, SVG sources, the interpret endpoint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient
from wagtail.images import get_image_model

from tests.gan_admin_fixtures import grant, login, variant_url, write_pending_output
from tests.utils import gan_override
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob
from wagtail_gan.templatetags.gan_admin import SWATCH_PATH

pytestmark = pytest.mark.django_db


XSS = '<script>alert("x")</script>'


def test_edit_page_shows_the_generate_variant_panel(gan_world):
    response = login(gan_world.editor).get(reverse("wagtailimages:edit", args=[gan_world.image.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Generate variant" in html
    assert f'action="{variant_url(gan_world.image)}"' in html
    assert 'data-controller="gan-variant-form"' in html
    assert "wagtail_gan/js/gan-admin.js" in html
    # the 26 styles of the picker, the painter and style-image choices, the original form intact
    assert html.count('name="style"') == 26
    assert 'value="style-image"' in html and 'id="w-editor-form"' in html
    assert 'name="style_image"' in html and "Choose an image" in html  # Wagtail's chooser
    # only collections the editor may add to are offered
    assert ">Team<" in html and ">Stock<" not in html


def test_panel_hidden_without_permission_and_for_protected_collections(gan_world):
    # the superuser may edit a Stock image; with Stock protected there is no panel
    client = login(gan_world.admin)
    url = reverse("wagtailimages:edit", args=[gan_world.stock_image.pk])
    assert "Generate variant" in client.get(url).content.decode()
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": ["Stock"]}):
        html = client.get(url).content.decode()
    assert 'data-controller="gan-variant-form"' not in html
    assert "may not be used to generate variants" in html


def test_panel_says_why_it_is_missing_without_add_permission(gan_world):
    changers = Group.objects.create(name="Change only")
    changers.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                    codename="access_admin"))
    grant(changers, gan_world.team, "change_image", "choose_image")
    user = get_user_model().objects.create_user("changer", "c@example.com", "pw")
    user.groups.add(changers)
    html = login(user).get(reverse("wagtailimages:edit", args=[gan_world.image.pk]))
    html = html.content.decode()
    assert "data-gan-no-target" in html and 'data-controller="gan-variant-form"' not in html
    # an editor who may add somewhere gets the form, not the note
    html = login(gan_world.editor).get(
        reverse("wagtailimages:edit", args=[gan_world.image.pk])).content.decode()
    assert "data-gan-no-target" not in html and 'data-controller="gan-variant-form"' in html


def test_unavailable_operations_are_shown_greyed_out_and_refused(gan_world, missing_models):
    w = gan_world
    client = login(w.editor)
    html = client.get(reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    assert re.search(r'<option value="winterize" disabled>Winterize — not installed', html)
    assert re.search(r'<option value="upscale-2x">Upscale 2×</option>', html)
    note = html[html.index("data-gan-unavailable"):]
    note = note[:note.index("</div>")]
    assert "Winterize" in note and "Free-form edit" in note and "administrator" in note
    assert "Install models" not in note  # an editor cannot install: no link
    assert "Install models" in login(w.admin).get(
        reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    # chosen, or interpreted from the instruction: refused with a message, no job
    response = client.post(variant_url(w.image), {"operation": "winterize"})
    assert response.status_code == 400 and "an administrator must install" in \
        response.content.decode()
    response = client.post(variant_url(w.image), {"instruction": "add snow"})
    assert response.status_code == 400 and "“winterize” can’t run yet" in \
        response.content.decode()
    response = client.post(variant_url(w.image), {"instruction": "make the sky pink"})
    assert response.status_code == 400
    assert GenerationJob.objects.count() == 0
    # the interpretation says so before anything is submitted
    data = client.post(reverse("wagtail_gan_admin:interpret", args=[w.image.pk]),
                       {"instruction": "add snow"}).json()
    assert data["interpretation"]["available"] is False
    assert "administrator must install" in data["interpretation"]["unavailable"]
    assert data["form_values"] == {} and "models_url" not in data["interpretation"]
    data = client.post(reverse("wagtail_gan_admin:interpret", args=[w.image.pk]),
                       {"instruction": "upscale 2x"}).json()
    assert data["interpretation"]["available"] is True
    assert data["form_values"] == {"operation": "upscale-2x"}
    # what can run still runs
    assert client.post(variant_url(w.image), {"operation": "upscale-2x"}).status_code == 302
    # Generate new image: no menu item, the page explains, a POST creates nothing
    assert "Generate new image" not in client.get(reverse("wagtailadmin_home")).content.decode()
    url = reverse("wagtail_gan_admin:generate")
    assert "isn’t available yet" in client.get(url).content.decode()
    response = client.post(url, {"prompt": "a lighthouse", "collection": w.team.pk, "count": 1})
    assert response.status_code == 400 and GenerationJob.objects.count() == 1


def test_panel_uses_layout_classes_that_exist(gan_world):
    """Wagtail's compiled CSS has no md:w-grid-cols-2: the panel's two columns are our own."""
    html = login(gan_world.editor).get(
        reverse("wagtailimages:edit", args=[gan_world.image.pk])).content.decode()
    assert 'class="gan-variant-form__cols"' in html and "md:w-grid-cols-2" not in html
    css = Path(finders.find("wagtail_gan/css/gan-admin.css")).read_text()
    assert ".gan-variant-form__cols" in css


def test_style_swatches_ship_for_all_26_styles():
    for index in range(26):
        path = finders.find(SWATCH_PATH.format(index))
        assert path, index
        assert PILImage.open(path).size == (96, 96)


def test_submit_variant_redirects_to_the_job_page(gan_world):
    client = login(gan_world.editor)
    response = client.post(variant_url(gan_world.image), {
        "operation": "upscale-2x", "seed": "3", "collection": gan_world.team.pk,
    })
    job = GenerationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtail_gan_admin:job", args=[job.pk])
    assert (job.operation, job.seed, job.user) == ("upscale-2x", 3, gan_world.editor)
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-controller="gan-job"' in html and "upscale-2x" in html
    assert reverse("wagtail_gan_admin:job_status", args=[job.pk]) in html
    status = client.get(reverse("wagtail_gan_admin:job_status", args=[job.pk])).json()
    assert status["status"] == "queued" and status["progress"] == 0


def test_form_choices_map_to_specs(gan_world):
    client = login(gan_world.editor)
    cases = [
        ({"operation": "stylize", "style": "12"}, "stylize-12"),
        ({"operation": "painter", "painter": "vangogh"}, "stylize-vangogh"),
        ({"operation": "winterize", "strength": "40"}, "winterize-40"),
        ({"operation": "style-image", "style_image": gan_world.image.pk}, None),
        ({"instruction": "make it snowy"}, "winterize"),
        ({"instruction": "paint it like Monet", "operation": "upscale-4x"}, "upscale-4x"),
    ]
    for data, spec in cases:
        response = client.post(variant_url(gan_world.image), data)
        assert response.status_code == 302, (data, response.content[:500])
        job = GenerationJob.objects.order_by("-pk").first()
        assert job.operation == (spec or f"stylize-image{gan_world.image.pk}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Describe the edit you want, or choose an operation."),
        ({"operation": "stylize"}, "Pick one of the styles."),
        ({"operation": "edit"}, "A free-form edit needs an instruction."),
        ({"instruction": "x" * 501}, "at most 500 characters"),
        ({"operation": "upscale-2x", "strength": "0"}, "greater than or equal to 1"),
    ],
)
def test_invalid_variant_form_shows_errors_and_creates_nothing(gan_world, data, message):
    response = login(gan_world.editor).post(variant_url(gan_world.image), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert GenerationJob.objects.count() == 0


def test_past_the_pixel_limits_is_refused_before_a_job(gan_world):
    # 40x30: upscale-4x would make 160x120 = 19,200 pixels; "make it snowy and twice as
    # big" plans winterize then upscale-2x: step 2 would make 80x60
    client = login(gan_world.editor)
    with gan_override(MAX_OUTPUT_PIXELS=4_000):
        response = client.post(variant_url(gan_world.image), {"operation": "upscale-4x"})
        assert response.status_code == 400
        assert "“upscale-4x” would make a 160x120 image" in response.content.decode()
        response = client.post(variant_url(gan_world.image),
                               {"instruction": "make it snowy and twice as big"})
        assert response.status_code == 400
        assert "would make a 80x60 image" in response.content.decode()
    assert GenerationJob.objects.count() == 0


def test_variant_form_errors_page_is_padded_like_the_admin(gan_world):
    response = login(gan_world.editor).post(
        reverse("wagtail_gan_admin:generate_variant", args=[gan_world.image.pk]), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<div class="nice-padding">\s*<div class="gan-image-panel"', html)


def test_over_long_instruction_has_one_error(gan_world):
    response = login(gan_world.editor).post(variant_url(gan_world.image),
                                            {"operation": "edit", "instruction": "x" * 501})
    html = response.content.decode()
    assert "at most 500 characters" in html and "needs an instruction" not in html
    assert "Describe the edit you want, or choose" not in html
    assert 'data-controller="gan-counter"' in html


def test_json_submission(gan_world):
    client = login(gan_world.editor)
    response = client.post(variant_url(gan_world.image), {"operation": "winterize"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 202 and response.json()["operation"] == "winterize"
    response = client.post(variant_url(gan_world.image), {"operation": "stylize"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "style" in response.json()["errors"]


def test_no_permission_is_403_and_creates_nothing(gan_world):
    w = gan_world
    assert login(w.viewer).post(variant_url(w.image), {"operation": "upscale-2x"}).status_code == 403
    # another collection's image looks missing (tests/video/test_disclosure.py compares them)
    assert login(w.editor).post(variant_url(w.stock_image),
                                {"operation": "upscale-2x"}).status_code == 404
    # a collection the editor may not add to is not a valid choice
    response = login(w.editor).post(variant_url(w.image),
                                    {"operation": "upscale-2x", "collection": w.stock.pk})
    assert response.status_code == 400
    assert login(w.viewer).post(reverse("wagtail_gan_admin:interpret", args=[w.image.pk]),
                                {"instruction": "add snow"}).status_code == 403
    assert Client().post(variant_url(w.image), {"operation": "upscale-2x"}).status_code == 302
    assert GenerationJob.objects.count() == 0


def test_csrf_is_required(gan_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(gan_world.editor)
    assert client.post(variant_url(gan_world.image), {"operation": "upscale-2x"}).status_code == 403
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x")
    for name in ("job_keep", "job_discard", "job_cancel"):
        assert client.post(reverse(f"wagtail_gan_admin:{name}", args=[job.pk])).status_code == 403
    assert client.post(reverse("wagtail_gan_admin:generate"),
                       {"prompt": "x", "collection": gan_world.team.pk}).status_code == 403
    job.refresh_from_db()
    assert job.status == "queued" and GenerationJob.objects.count() == 1
    # with the token from the edit page it goes through
    page = client.get(reverse("wagtailimages:edit", args=[gan_world.image.pk]))
    token = page.context["csrf_token"]
    assert client.post(variant_url(gan_world.image), {"operation": "upscale-2x",
                       "csrfmiddlewaretoken": str(token)}).status_code == 302


def test_the_variant_url_opened_directly_leads_to_the_image(gan_world):
    url = reverse("wagtail_gan_admin:generate_variant", args=[gan_world.image.pk])
    response = login(gan_world.editor).get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailimages:edit", args=[gan_world.image.pk])


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" '
       b'height="20" fill="red"/></svg>')


def _svg_image(collection):
    image = get_image_model()(title="Logo", collection=collection,
                              file=ContentFile(SVG, name="logo.svg"))
    image.save()
    return image


def test_svg_images_are_refused_as_sources_with_a_clear_message(gan_world):
    svg = _svg_image(gan_world.team)
    client = login(gan_world.editor)
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


def test_interpret_endpoint(gan_world):
    client = login(gan_world.editor)
    url = reverse("wagtail_gan_admin:interpret", args=[gan_world.image.pk])
    data = client.post(url, {"instruction": "add a little snow"}).json()
    assert data["interpretation"]["spec"] == "winterize-50"
    assert data["form_values"] == {"operation": "winterize", "strength": 50}
    data = client.post(url, {"instruction": "in the style of harbour"}).json()
    assert data["interpretation"]["spec"] == f"stylize-image{gan_world.image.pk}"
    data = client.post(url, {"instruction": "paint it like van gogh"}).json()
    assert data["form_values"] == {"operation": "painter", "painter": "vangogh"}
    assert client.post(url, {"instruction": "y" * 600}).status_code == 400
    assert client.post(url, {"instruction": ""}).status_code == 400
    assert client.get(url).status_code == 405


def test_instructions_are_escaped_everywhere(gan_world):
    client = login(gan_world.editor)
    client.post(variant_url(gan_world.image), {"instruction": XSS})
    job = GenerationJob.objects.get()
    assert job.operation == "edit"
    pages = [client.get(reverse("wagtail_gan_admin:job", args=[job.pk])),
             client.get(reverse("wagtail_gan_jobs:index"))]
    write_pending_output(job)
    kept = jobs.keep_job(job, gan_world.editor)
    pages.append(client.get(reverse("wagtailimages:edit", args=[kept.pk])))
    pages.append(client.get(reverse("wagtailimages:edit", args=[gan_world.image.pk])))
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert XSS not in html
    assert "&lt;script&gt;" in pages[0].content.decode()
