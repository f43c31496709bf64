"""The image listing's bulk action: a variant job for each image the user may use, nothing queued
for an unavailable operation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.gan_admin_fixtures import login
from tests.utils import image_model_label
from wagtail_gan.models import GenerationJob

pytestmark = pytest.mark.django_db


def test_bulk_action_generates_for_each_permitted_image(gan_world, make_image):
    w = gan_world
    second = make_image(title="Second", collection=w.team)
    url = reverse("wagtail_bulk_action", args=(*image_model_label(), "gan_generate_variant"))
    query = f"?id={w.image.pk}&id={second.pk}&id={w.stock_image.pk}&next=/admin/images/"
    client = login(w.editor)
    page = client.get(url + query)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Generate AI variants" in html and "Second" in html
    # Each operation's fields (and the instruction, only the free-form edit reads it) are
    # targets of the panel's controller: shown only while their operation is chosen
    assert 'data-controller="gan-variant-form"' in html and "wagtail_gan/js/gan-admin.js" in html
    for operations, name in (("stylize", "style"), ("painter", "painter"), ("edit", "instruction")):
        marker = f'data-gan-operations="{operations}"'
        wrapper = html.split(marker, 1)[1].split("data-gan-operations=")[0]
        assert "hidden" in wrapper.split(">", 1)[0] and f'name="{name}"' in wrapper
    assert '<option value="upscale-2x" selected>' in html  # its fields (none) are shown
    response = client.post(url + query, {"operation": "stylize", "style": "4", "seed": "x"})
    html = response.content.decode()  # invalid: the chosen operation's fields stay shown
    wrapper = html.split('data-gan-operations="stylize"', 1)[1].split("</div>")[0]
    assert "hidden" not in wrapper.split(">", 1)[0]
    response = client.post(url + query, {"operation": "stylize", "style": "4"})
    assert response.status_code == 302
    created = GenerationJob.objects.order_by("pk")
    assert [(j.source_image_id, j.operation) for j in created] == [
        (w.image.pk, "stylize-4"), (second.pk, "stylize-4")]
    # the listing offers the action
    listing = client.get(reverse("wagtailimages:index")).content.decode()
    assert "Generate variant" in listing


def test_bulk_action_with_an_unavailable_operation_queues_nothing(gan_world, missing_models):
    w = gan_world
    client = login(w.admin)
    url = (reverse("wagtail_bulk_action", args=[*image_model_label(), "gan_generate_variant"])
           + f"?id={w.image.pk}&next=/admin/images/")
    html = client.get(url).content.decode()
    assert '<option value="upscale-2x" selected>' in html  # never pre-selects a missing one
    assert 'value="winterize"' not in html  # the bulk form offers only what can run
    assert "Not available yet:" in html  # the note names what cannot run
    response = client.post(url, {"operation": "winterize"}, follow=True)
    html = response.content.decode()
    assert "0 variant jobs queued" not in html and GenerationJob.objects.count() == 0
