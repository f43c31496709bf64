"""Rendition filters inside a request-wide transaction (ATOMIC_REQUESTS, or a test's own
transaction): {% picture %}/{% srcset_image %} render in Wagtail's thread pool, and on SQLite
that pool must not wait for the write lock the request thread holds."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from home.models import GalleryItem, GalleryPage, HomePage
from wagtail.models import Page, Site

from wagtail_gan.models import RenditionJob


@pytest.mark.django_db
def test_multi_rendition_tags_inside_a_transaction_do_not_block(make_image, client):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's database-wide write lock only; on PostgreSQL the pool's own "
                    "connection cannot see this test transaction's uncommitted image at all")
    images = [make_image(title=f"img {i}", width=64, height=48) for i in range(2)]
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="Home", slug="gan-atomic-home"))
    gallery = home.add_child(instance=GalleryPage(title="Gallery", slug="gallery"))
    for n, image in enumerate(images):
        GalleryItem.objects.create(page=gallery, image=image, sort_order=n)
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    start = time.monotonic()
    response = client.get("/gallery/", HTTP_HOST="localhost")
    elapsed = time.monotonic() - start
    assert response.status_code == 200 and response.content.count(b'srcset="') == 2
    assert elapsed < 10  # the SQLite busy timeout is 30 s: no pool thread waited for it
    # Rows the pool could not write were written by the request thread when it finished.
    assert sorted(RenditionJob.objects.values_list("image_id", "filter_spec")) == sorted(
        (image.pk, f"width-{w}|stylize-5") for image in images for w in (240, 480)
    )
