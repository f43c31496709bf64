"""Personalised variant pools: stable per visitor, spread across visitors, fallback first,
each pooled rendition watermarked with its own slot."""

from __future__ import annotations

import re
import secrets
from collections import Counter

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from jinja2 import Environment
from wagtail.images.exceptions import InvalidFilterSpecError

from wagtail_gan import pools, provenance
from wagtail_gan.models import RenditionJob
from wagtail_gan.renditions import worker


def request_for(visitor_cookie: str | None = None):
    request = RequestFactory().get("/")
    if visitor_cookie:
        request.COOKIES[pools.COOKIE_NAME] = visitor_cookie
    return request


def test_slot_is_stable_per_visitor_and_spread_across_visitors():
    visitors = [secrets.token_hex(16) for _ in range(800)]
    slots = [pools.pool_slot("c:" + v, 4) for v in visitors]
    assert slots == [pools.pool_slot("c:" + v, 4) for v in visitors]  # stable
    counts = Counter(slots)
    assert set(counts) == {0, 1, 2, 3}
    assert all(150 <= n <= 250 for n in counts.values()), counts  # about 200 each
    assert {pools.pool_slot("c:" + v, 1) for v in visitors} == {0}
    for bad in (0, 33, "x", None):
        with pytest.raises(ValueError, match="pool must be"):
            pools.pool_slot("c:1", bad)


def test_visitor_id_sources():
    cookie = "ab" * 16
    assert pools.visitor_id(request_for(cookie)) == "c:" + cookie
    junk = request_for("not-a-valid-cookie")
    junk.META["REMOTE_ADDR"], junk.META["HTTP_USER_AGENT"] = "10.0.0.1", "UA"
    assert pools.visitor_id(junk) == "a:10.0.0.1|UA"
    assert pools.visitor_id(None) == ""


def test_middleware_sets_the_cookie_once():
    seen = {}

    def view(request):
        seen["id"] = pools.visitor_id(request)
        return HttpResponse("ok")

    middleware = pools.VisitorCookieMiddleware(view)
    first = middleware(request_for())
    value = first.cookies[pools.COOKIE_NAME].value
    assert re.fullmatch(r"[0-9a-f]{32}", value) and seen["id"] == "c:" + value
    assert first.cookies[pools.COOKIE_NAME]["httponly"] and first.cookies[pools.COOKIE_NAME]["samesite"] == "Lax"
    again = middleware(request_for(value))
    assert pools.COOKIE_NAME not in again.cookies and seen["id"] == "c:" + value


def test_spec_normalisation():
    assert pools.slot_spec("width-400 stylize-3", 2) == "width-400|stylize-3|poolslot-2"
    assert pools.pool_specs("stylize-3", 2) == ["stylize-3|poolslot-0", "stylize-3|poolslot-1"]
    with pytest.raises(InvalidFilterSpecError):
        pools.normalise_spec("stylize-3|poolslot-1")
    with pytest.raises(InvalidFilterSpecError):
        pools.normalise_spec("  ")


def visitor_in_slot(slot: int, pool: int = 4) -> str:
    n = 0
    while True:
        cookie = f"{n:032x}"
        if pools.pool_slot("c:" + cookie, pool) == slot:
            return cookie
        n += 1


TAG = Template('{% load gan_pools %}{% gan_variant image "stylize-3" pool=4 class="hero" %}')


@pytest.mark.django_db
def test_tag_serves_the_visitors_slot_fallback_first_and_queues_the_pool(make_image):
    cache.clear()  # "pool already queued" markers of earlier tests (image ids are reused)
    image = make_image(title="Pier", width=256, height=192, fmt="JPEG")
    a, b = visitor_in_slot(1), visitor_in_slot(3)
    html_a = TAG.render(Context({"image": image, "request": request_for(a)}))
    html_a2 = TAG.render(Context({"image": image, "request": request_for(a)}))
    html_b = TAG.render(Context({"image": image, "request": request_for(b)}))
    assert html_a == html_a2 and html_a != html_b
    assert 'class="hero"' in html_a and 'alt="Pier"' in html_a
    specs = set(image.renditions.values_list("filter_spec", flat=True))
    assert specs == {"stylize-3|poolslot-1", "stylize-3|poolslot-3"}
    src_a = image.renditions.get(filter_spec="stylize-3|poolslot-1").url
    assert src_a in html_a
    jobs = RenditionJob.objects.filter(image=image).values_list("filter_spec", "status")
    assert set(jobs) == {("stylize-3|poolslot-1", "pending"), ("stylize-3|poolslot-3", "pending")}
    # The whole pool was queued once, in the background.
    queued = [t for t in HUEY.pending() if t.name.endswith("pregenerate_renditions")
              and t.args and t.args[0] == image.pk and t.args[1][0].startswith("stylize-3|pool")]
    assert len(queued) == 1
    assert queued[0].args[1] == pools.pool_specs("stylize-3", 4)
    # Nothing to render for a missing image.
    assert TAG.render(Context({"image": None, "request": request_for(a)})) == ""


@pytest.mark.django_db
def test_each_pooled_rendition_carries_its_slot_in_a_watermark(make_image, client,
                                                                django_user_model):
    image = make_image(title="Pier", width=256, height=192, fmt="JPEG")
    found = {}
    for slot in (0, 2):
        TAG.render(Context({"image": image, "request": request_for(visitor_in_slot(slot))}))
        spec = f"stylize-3|poolslot-{slot}"
        job = RenditionJob.objects.get(image=image, filter_spec=spec)
        fallback = image.renditions.get(filter_spec=spec)
        with fallback.file.open("rb") as fh:
            assert not provenance.inspect_file(fh.read())["watermark"]["found"]  # not marked
        assert worker.run_rendition_job(job.pk).status == "done"
        rendition = image.renditions.get(filter_spec=spec)
        assert rendition.file.name != fallback.file.name
        with rendition.file.open("rb") as fh:
            report = provenance.inspect_file(fh.read())
        wm = report["watermark"]
        assert wm["found"] and wm["kind"] == "rendition", wm
        assert (wm["ident"], wm["index"]) == (job.pk, slot)
        assert report["match"]["rendition"]["filter_spec"] == spec
        assert f"Pool slot {slot}" in report["verdict"] and "Pier" in report["verdict"]
        found[slot] = wm["payload"]
    assert found[0] != found[2]
    # "Check an image" names the pooled rendition and links its image.
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.com", "pw"))
    with rendition.file.open("rb") as fh:
        upload = SimpleUploadedFile("seen-online.jpg", fh.read(), "image/jpeg")
    html = client.post(reverse("wagtail_gan_check_image"), {"file": upload}).content.decode()
    assert "Pooled rendition" in html and "stylize-3|poolslot-2" in html
    assert reverse("wagtailimages:edit", args=[image.pk]) in html


@pytest.mark.django_db
def test_jinja_equivalent(make_image):
    image = make_image(title="Pier", width=96, height=64)
    cookie = visitor_in_slot(2)
    env = Environment(extensions=["wagtail_gan.pools.jinja2tags.pools"], autoescape=True)
    html = env.from_string('{{ gan_variant(image, "stylize-3", pool=4, alt="A pier") }}').render(
        image=image, request=request_for(cookie))
    rendition = image.renditions.get(filter_spec="stylize-3|poolslot-2")
    assert rendition.url in html and 'alt="A pier"' in html
    r = env.from_string('{{ gan_variant_rendition(image, "stylize-3", pool=4).url }}').render(
        image=image, request=request_for(cookie))
    assert r == rendition.url
