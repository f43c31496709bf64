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
