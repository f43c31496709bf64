"""Rights: the summary in the API and the admin, copied rights fields, protected collections."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse

from tests.gan_admin_fixtures import write_pending_output
from wagtail_gan import jobs, provenance
from wagtail_gan.models import GenerationJob, Variant


@pytest.mark.django_db
def test_rights_summary_in_api_and_deleted_source(client, gan_world,
                                                  django_capture_on_commit_callbacks):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, operation="stylize-2")
    write_pending_output(job)
    with django_capture_on_commit_callbacks(execute=True):
        kept = jobs.keep_job(job, gan_world.editor)
    variant = kept.gan_variant
    summary = provenance.rights_summary(variant)
    assert summary["statement"] == "Derived from “Harbour”; the source's rights apply."
    assert summary["derived_from"] == {"id": gan_world.image.pk, "title": "Harbour", "exists": True}
    # The API shows the same summary with each variant.
    client.force_login(gan_world.editor)
    response = client.get(reverse("wagtail_gan_api:image-variants", args=[gan_world.image.pk]))
    assert response.status_code == 200, response.content
    [listed] = response.json()["results"]
    assert listed["rights"]["statement"] == summary["statement"]
    assert listed["rights"]["derived_from"]["title"] == "Harbour"
    # ... and so does the variant's edit page in the admin.
    edit = client.get(reverse("wagtailimages:edit", args=[kept.pk]))
    assert edit.status_code == 200
    banner = edit.content.decode().split("data-gan-rights>", 1)[1].split("</span>", 1)[0]
    assert banner == "Derived from the source image: the source's rights apply."
    gan_world.image.delete()
    variant.refresh_from_db()
    summary = provenance.rights_summary(variant)
    assert summary["derived_from"]["exists"] is False and "Harbour" in summary["statement"]
    assert "deleted" in summary["statement"]

    text = Variant(image=kept, operation="generate", model_id="styletransfer_multistyle26")
    summary = provenance.rights_summary(text)
    assert summary["derived_from"] is None
    assert summary["statement"].startswith("Generated from a text prompt by styletransfer_multistyle26")
    assert "Apache-2.0" in summary["model"]["licence"]


@pytest.mark.django_db
def test_copy_rights_copies_fields_the_models_have(gan_world, make_image):
    target = make_image(title="", collection=gan_world.team)
    target.title = ""
    with override_settings(WAGTAIL_GAN={"RIGHTS_FIELDS": ["title", "credit", "collection"]}):
        # "credit" does not exist on Wagtail's Image; relations are never copied.
        assert provenance.copy_rights(gan_world.image, target) == ["title"]
        assert target.title == "Harbour"
        target.title = "Mine"
        assert provenance.copy_rights(gan_world.image, target) == []  # never overwrites
    assert provenance.copy_rights(None, target) == []


@pytest.mark.django_db
def test_protected_collection_refuses_sources(gan_world):
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": ["stock"]}):
        with pytest.raises(PermissionDenied, match="“Stock” may not be used as sources"):
            provenance.check_source_not_protected(gan_world.stock_image)
        provenance.check_source_not_protected(gan_world.image)
    provenance.check_source_not_protected(gan_world.stock_image)
    # A protected image cannot be a style reference either.
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": [gan_world.stock.pk]}):
        with pytest.raises(jobs.JobError, match="style images included"):
            jobs.submit_variant_job(user=gan_world.admin, image=gan_world.image,
                                    operation=f"stylize-image{gan_world.stock_image.pk}")
    assert not GenerationJob.objects.exists()
