"""Is the ML rendition ready? The ``gan_ready`` filter and status tag, the public status endpoint
the swap script polls, the Jinja2 tags."""

from __future__ import annotations

import pytest
from django.template import engines

from tests.renditions.helpers import fresh, render, run_job
from wagtail_gan.models import RenditionJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


def test_gan_ready_filter_and_status_tag(make_image):
    image = make_image()
    src = "{{ img|gan_ready:'width-20|stylize-3' }} {% gan_rendition_status img 'width-20|stylize-3' %}"
    assert render(src, img=image) == "False none"
    render("{% image img width-20 stylize-3 %}", img=image)
    assert render(src, img=image) == "False pending"
    run_job(RenditionJob.objects.get().pk)
    assert render(src, img=fresh(image)) == "True ready"
    assert render("{{ img|gan_ready:'width-20' }}", img=image) == "True"


def test_status_endpoint_and_swap_script(make_image, client, django_assert_max_num_queries):
    image = make_image()
    fallback = image.get_rendition("width-20|stylize-3")
    broken = image.get_rendition("width-20|stylize-image55555")
    plain = image.get_rendition("width-20")
    url = "/gan/renditions/status/"
    # Not claimed by a worker yet, or not ML renditions: unknown.
    assert client.get(url, {"src": [fallback.url, plain.url]}).json() == {"renditions": {}}
    for job in RenditionJob.objects.all():
        run_job(job.pk)
    with django_assert_max_num_queries(3):
        response = client.get(url, {"src": [fallback.url, broken.url, plain.url, "/elsewhere.png"]})
    assert response["Cache-Control"] == "no-store"
    data = response.json()["renditions"]
    assert set(data) == {fallback.url, broken.url}
    assert data[broken.url] == {"status": "failed", "url": broken.url, "width": 20, "height": 15}
    info = data[fallback.url]
    assert info["status"] == "ready" and info["url"] != fallback.url
    new_url = fresh(image).get_rendition("width-20|stylize-3").url
    assert info["url"] == new_url
    # The new URL itself reports ready (the script stops polling it).
    assert client.get(url, {"src": new_url}).json()["renditions"][new_url]["status"] == "ready"
    html = render("{% gan_swap_script %}")
    assert 'data-gan-status-url="/gan/renditions/status/"' in html
    assert "wagtail_gan/js/gan-renditions.js" in html


def test_jinja2_tags(make_image):
    image = make_image()
    env = engines["jinja2"].env
    env.add_extension("wagtail_gan.jinja2tags.renditions")
    template = env.from_string(
        "{{ image(img, 'width-20|stylize-3') }}|{{ gan_rendition_status(img, 'width-20|stylize-3') }}"
        "|{{ gan_swap_script() }}"
    )
    html = template.render(img=image)
    assert 'width="20"' in html and "|pending|" in html and "gan-renditions.js" in html
