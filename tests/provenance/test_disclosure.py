""""Check an image" says only what the user may see: another user's job whose output they cannot
see, a pooled rendition of another collection's image, and a variant's hidden source answer
exactly like missing ones (no title, no user). ``gan_verify`` (no user: the site's operator)
still says everything."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.gan_admin_fixtures import login
from tests.provenance.helpers import photo
from wagtail_gan import provenance
from wagtail_gan.models import GenerationJob, RenditionJob, Variant
from wagtail_gan.provenance import watermark
from wagtail_gan.provenance.rights import rights_summary

MISSING = 999_999
HIDDEN_JOB, HIDDEN_RENDITION = 888_881, 888_882
SECRET = "Secret stock"


def payload(kind, ident, index=0):
    return watermark.Payload(kind, ident, index)


def alike(first: dict, second: dict, first_id, second_id) -> bool:
    def norm(found, pk):
        return {k: str(v).replace(str(pk), "ID") for k, v in found.items()}

    return norm(first, first_id) == norm(second, second_id)


@pytest.fixture
def stock_work(gan_world, make_image):
    """The superuser's job on a Stock image (the editor has no permission in Stock), its output
    kept in Stock, and a pooled rendition job of a Stock image."""
    w = gan_world
    w.stock_image.title = SECRET + " photo"
    w.stock_image.save()
    w.job = GenerationJob.objects.create(
        pk=HIDDEN_JOB, user=w.admin, operation="stylize-3", source_image=w.stock_image,
        collection=w.stock, status=GenerationJob.Status.SUCCEEDED)
    kept = make_image(title=SECRET + " variant", collection=w.stock)
    Variant.objects.create(image=kept, source_image=w.stock_image, job=w.job,
                           operation="stylize-3", params={"candidate": 0})
    w.rendition_job = RenditionJob.objects.create(
        pk=HIDDEN_RENDITION, image=w.stock_image, filter_spec="stylize-3|poolslot-1")
    return w


@pytest.mark.django_db
def test_hidden_jobs_and_renditions_look_missing(stock_work):
    w = stock_work
    for kind, pk in ((watermark.KIND_JOB_OUTPUT, HIDDEN_JOB),
                     (watermark.KIND_RENDITION, HIDDEN_RENDITION)):
        hidden = provenance.resolve_payload(payload(kind, pk), w.editor)
        missing = provenance.resolve_payload(payload(kind, MISSING), w.editor)
        assert alike(hidden, missing, pk, MISSING), (hidden, missing)
        assert SECRET not in str(hidden) and "admin" not in str(hidden)
        assert set(hidden) == {"payload", "note"}
        # the operator's gan_verify (no user) and a superuser see it all
        for user in (None, w.admin):
            full = provenance.resolve_payload(payload(kind, pk), user)
            assert SECRET in str(full)
    # a job of the user's own is theirs, whatever its output's collection
    mine = GenerationJob.objects.create(user=w.editor, operation="stylize-3",
                                        source_image=w.image, collection=w.team)
    found = provenance.resolve_payload(payload(watermark.KIND_JOB_OUTPUT, mine.pk), w.editor)
    assert found["job"]["id"] == mine.pk and "source" in found


@pytest.mark.django_db
def test_a_hidden_source_is_said_like_a_deleted_one(stock_work, make_image):
    w = stock_work
    # a variant the editor sees (Team) of a Stock source they may not see
    seen = make_image(title="Team copy", collection=w.team)
    hidden_source = Variant.objects.create(image=seen, source_image=w.stock_image,
                                           operation="stylize-3")
    gone = make_image(title="Team copy 2", collection=w.team)
    deleted_source = Variant.objects.create(image=gone, source_image=None,
                                            source_image_pk=MISSING,
                                            source_title=SECRET + " deleted",
                                            operation="stylize-3")
    hidden, deleted = rights_summary(hidden_source, w.editor), rights_summary(deleted_source,
                                                                              w.editor)
    assert hidden == deleted and hidden["derived_from"]["exists"] is False
    assert SECRET not in str(hidden) and hidden["derived_from"]["id"] is None
    assert SECRET in rights_summary(hidden_source)["statement"]  # no user: everything
    assert SECRET in rights_summary(hidden_source, w.admin)["statement"]
    # the image panel on the variant's edit page: no source title, no variants from Stock
    page = login(w.editor).get(reverse("wagtailimages:edit", args=[seen.pk])).content.decode()
    assert "that you cannot see" in page and SECRET not in page
    Variant.objects.create(image=make_image(title=SECRET + " of Harbour", collection=w.stock),
                           source_image=w.image, operation="stylize-3")
    source_page = login(w.editor).get(reverse("wagtailimages:edit", args=[w.image.pk]))
    assert source_page.status_code == 200 and SECRET not in source_page.content.decode()


@pytest.mark.django_db
def test_check_an_image_page_says_only_what_the_user_may_see(client, stock_work):
    w = stock_work
    data, _ = provenance.finalize_output(photo((256, 192)), job=w.job, index=0)
    client.force_login(w.editor)
    url = reverse("wagtail_gan_check_image")
    html = client.post(url, {"file": SimpleUploadedFile("x.jpg", data)}).content.decode()
    assert "Made by wagtail-gan" in html and "no record of it that you can see" in html
    assert SECRET not in html.replace(SECRET + " photo", "")  # the file's own XMP may name it
    assert reverse("wagtailimages:edit", args=[w.stock_image.pk]) not in html
    client.force_login(w.admin)
    html = client.post(url, {"file": SimpleUploadedFile("x.jpg", data)}).content.decode()
    assert SECRET + " variant" in html
