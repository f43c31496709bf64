"""Admin editor actions: the panel on the image edit page, job pages, keep/discard/cancel,
"Generate new image", the jobs listing, the bulk action; permissions, CSRF and escaping."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.gan_admin_fixtures import write_pending_output
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob, Variant

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def variant_url(image):
    return reverse("wagtail_gan_admin:generate_variant", args=[image.pk])


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
    from django.test import override_settings

    # the superuser may edit a Stock image; with Stock protected there is no panel
    client = login(gan_world.admin)
    url = reverse("wagtailimages:edit", args=[gan_world.stock_image.pk])
    assert "Generate variant" in client.get(url).content.decode()
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": ["Stock"]}):
        html = client.get(url).content.decode()
    assert 'data-controller="gan-variant-form"' not in html
    assert "may not be used to generate variants" in html


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
    assert login(w.editor).post(variant_url(w.stock_image),
                                {"operation": "upscale-2x"}).status_code == 403
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


def test_review_keep_and_provenance_pages(gan_world):
    w = gan_world
    client = login(w.editor)
    client.post(variant_url(w.image), {"instruction": "upscale 2x", "seed": "4"})
    job = GenerationJob.objects.get()
    write_pending_output(job, width=80, height=60)
    html = client.get(reverse("wagtail_gan_admin:job", args=[job.pk])).content.decode()
    output_url = reverse("wagtail_gan_admin:job_output", args=[job.pk, 0])
    assert output_url in html and "Before / after" in html and "data-gan-keep" in html
    assert "Interpreted as" in html and "upscale 2x" in html
    # the pending output is served to the owner only
    response = client.get(output_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert login(w.viewer).get(output_url).status_code == 404
    assert client.get(reverse("wagtail_gan_admin:job_output", args=[job.pk, 3])).status_code == 404
    # keep
    response = client.post(reverse("wagtail_gan_admin:job_keep", args=[job.pk]), {"index": "0"})
    variant = Variant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailimages:edit", args=[variant.image.pk])
    html = client.get(response["Location"]).content.decode()
    assert "Variant of" in html and "Harbour" in html and "upscale-2x" in html
    assert "data-gan-variant-of" in html
    html = client.get(reverse("wagtailimages:edit", args=[w.image.pk])).content.decode()
    assert "gan-variants-heading" in html and variant.image.title in html


def test_discard_and_cancel_views(gan_world):
    w = gan_world
    client = login(w.editor)
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    assert login(w.admin).post(reverse("wagtail_gan_admin:job_cancel", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    job2 = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    # another editor's job: 404, like a missing one (no enumeration)
    assert login(w.viewer).post(reverse("wagtail_gan_admin:job_cancel", args=[job2.pk])).status_code == 404
    assert login(w.viewer).get(reverse("wagtail_gan_admin:job", args=[job2.pk])).status_code == 404
    assert login(w.viewer).get(reverse("wagtail_gan_admin:job", args=[job2.pk + 1000])).status_code == 404
    write_pending_output(job2)
    response = client.post(reverse("wagtail_gan_admin:job_discard", args=[job2.pk]))
    assert response["Location"] == reverse("wagtailimages:edit", args=[w.image.pk])
    job2.refresh_from_db()
    assert job2.outputs == [] and job2.result_image is None
    assert "Discarded" in client.get(reverse("wagtail_gan_admin:job", args=[job2.pk])).content.decode()


def test_failed_job_shows_its_error(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="winterize")
    GenerationJob.objects.filter(pk=job.pk).update(
        status="failed", error="Model 'cyclegan-summer2winter' is not installed <b>x</b>")
    html = login(gan_world.editor).get(reverse("wagtail_gan_admin:job", args=[job.pk])).content.decode()
    assert "The job failed; the original image is unchanged." in html
    assert "is not installed &lt;b&gt;x&lt;/b&gt;" in html


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
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    nobody = get_user_model().objects.create_user("nobody", "n@example.com", "pw")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert login(nobody).get(url).status_code == 403
    assert "Generate new image" not in login(nobody).get(reverse("wagtailadmin_home")).content.decode()


def test_jobs_listing_filters_and_scoping(gan_world):
    w = gan_world
    a = jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    b = jobs.submit_variant_job(user=w.editor, image=w.image, operation="winterize")
    GenerationJob.objects.filter(pk=b.pk).update(status="failed")
    c = jobs.submit_variant_job(user=w.admin, image=w.stock_image, operation="stylize-1",
                                collection=w.stock)
    url = reverse("wagtail_gan_jobs:index")
    html = login(w.editor).get(url).content.decode()
    job_link = "wagtail_gan_admin:job"
    assert reverse(job_link, args=[a.pk]) in html and reverse(job_link, args=[b.pk]) in html
    assert reverse(job_link, args=[c.pk]) not in html
    assert reverse("wagtail_gan_admin:job_cancel", args=[a.pk]) in html
    assert reverse("wagtail_gan_admin:job_cancel", args=[b.pk]) not in html
    admin = login(w.admin)
    html = admin.get(url).content.decode()
    assert all(reverse(job_link, args=[j.pk]) in html for j in (a, b, c))
    html = admin.get(url, {"status": "failed"}).content.decode()
    assert reverse(job_link, args=[b.pk]) in html and reverse(job_link, args=[a.pk]) not in html
    html = admin.get(url, {"operation": "stylize-1"}).content.decode()
    assert reverse(job_link, args=[c.pk]) in html and reverse(job_link, args=[a.pk]) not in html
    html = admin.get(url, {"user": w.editor.pk}).content.decode()
    assert reverse(job_link, args=[a.pk]) in html and reverse(job_link, args=[c.pk]) not in html
    # cancel from the listing returns to it
    response = login(w.editor).post(reverse("wagtail_gan_admin:job_cancel", args=[a.pk]),
                                    {"next": url + "?status=queued"})
    assert response["Location"] == url + "?status=queued"
    a.refresh_from_db()
    assert a.status == "cancelled"


def test_jobs_listing_links_the_source_image_while_it_exists(gan_world, make_image):
    w = gan_world
    doomed = make_image(title="Doomed source", collection=w.team)
    jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x")
    gone = jobs.submit_variant_job(user=w.editor, image=doomed, operation="winterize")
    jobs.submit_generate_job(user=w.editor, prompt="a lighthouse at dusk", collection=w.team)
    url = reverse("wagtail_gan_jobs:index")
    html = login(w.editor).get(url).content.decode()
    edit_url = reverse("wagtailimages:edit", args=[w.image.pk])
    assert f'<a href="{edit_url}">{w.image.title}</a>' in html
    doomed_url = reverse("wagtailimages:edit", args=[doomed.pk])
    assert f'<a href="{doomed_url}">Doomed source</a>' in html
    assert "a lighthouse at dusk" in html  # the prompt of a text-to-image job, not a link
    assert '">a lighthouse at dusk</a>' not in html
    doomed.delete()
    gone.refresh_from_db()
    assert gone.source_image_id is None
    html = login(w.editor).get(url).content.decode()
    assert doomed_url not in html and "Doomed source" not in html
    assert f'<a href="{edit_url}">{w.image.title}</a>' in html


def test_menu_has_ai_images(gan_world):
    html = login(gan_world.editor).get(reverse("wagtailadmin_home")).content.decode()
    assert "AI images" in html and "Generate new image" in html
    assert reverse("wagtail_gan_jobs:index") in html


def test_bulk_action_generates_for_each_permitted_image(gan_world, make_image):
    w = gan_world
    second = make_image(title="Second", collection=w.team)
    url = reverse("wagtail_bulk_action", args=("wagtailimages", "image", "gan_generate_variant"))
    query = f"?id={w.image.pk}&id={second.pk}&id={w.stock_image.pk}&next=/admin/images/"
    client = login(w.editor)
    page = client.get(url + query)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Generate AI variants" in html and "Second" in html
    # Style and Painter are targets of the panel's controller (shown only for their operation),
    # rendered visible so the form works without JavaScript
    assert 'data-controller="gan-variant-form"' in html and "wagtail_gan/js/gan-admin.js" in html
    for target, name in (("styles", "style"), ("painter", "painter")):
        wrapper = html.split(f'data-gan-variant-form-target="{target}"', 1)[1].split("</div>")[0]
        assert "hidden" not in wrapper.split(">", 1)[0] and f'name="{name}"' in html
    assert html.index('data-gan-variant-form-target="styles"') < html.index('name="style"')
    assert html.index('data-gan-variant-form-target="painter"') < html.index('name="painter"')
    response = client.post(url + query, {"operation": "stylize", "style": "4"})
    assert response.status_code == 302
    created = GenerationJob.objects.order_by("pk")
    assert [(j.source_image_id, j.operation) for j in created] == [
        (w.image.pk, "stylize-4"), (second.pk, "stylize-4")]
    # the listing offers the action
    listing = client.get(reverse("wagtailimages:index")).content.decode()
    assert "Generate variant" in listing


def test_style_swatches_ship_for_all_26_styles():
    from django.contrib.staticfiles import finders
    from PIL import Image as PILImage

    from wagtail_gan.templatetags.gan_admin import SWATCH_PATH

    for index in range(26):
        path = finders.find(SWATCH_PATH.format(index))
        assert path, index
        assert PILImage.open(path).size == (96, 96)
