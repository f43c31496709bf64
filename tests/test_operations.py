"""The operation registry is the single source of truth: an operation registered at run time
(here: a test operation, with no change to any other module) is a rendition filter, appears in
the admin's Generate variant form with its own field, in the API's operations/ catalog, is
accepted by POST variants/ and the jobs service, and runs on the dummy backend."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from wagtail_gan import operations
from wagtail_gan.operations import FormChoice, InvalidSpec, Operation, parse_int, parse_spec

pytestmark = pytest.mark.django_db


class Sharpen(Operation):
    name = "sharpen"
    label = "Sharpen"
    description = "Sharpen the image (test operation)."
    synopsis = "sharpen[-<1..100>]"
    filter = True
    strength = "spec"

    def grammar(self):
        return ["sharpen", "sharpen-<1..100>"]

    def parse(self, args):
        if not args:
            return self.spec({"amount": 100})
        amount = parse_int(args[0], 1, 100) if len(args) == 1 else None
        if amount is None:
            raise InvalidSpec("sharpen takes an optional amount 1..100, e.g. sharpen-50")
        return self.spec({"amount": amount})

    def format(self, params):
        return "sharpen" if params["amount"] == 100 else f"sharpen-{params['amount']}"

    def form_choices(self):
        return [FormChoice("sharpen", "Sharpen", ("sharpen_radius",))]

    def form_fields(self):
        return {"sharpen_radius": forms.IntegerField(label="Radius", required=False)}


@pytest.fixture
def sharpen(settings, dummy_models):
    from tests.conftest import gan_models_override

    gan_models_override(settings, {"dummy_sharpen": {
        "task": "upscale", "family": "dummy", "scale": 1, "default_for": ["sharpen"]}})
    op = operations.register(Sharpen())
    yield op
    operations.unregister("sharpen")


def test_registered_operation_is_everywhere(sharpen, gan_world, client):
    from rest_framework.test import APIClient

    # grammar and validation
    assert parse_spec("sharpen-40").params == {"amount": 40}
    with pytest.raises(InvalidSpec, match="1..100"):
        parse_spec("sharpen-③")
    # the API catalog
    api = APIClient()
    api.force_authenticate(gan_world.editor)
    listed = {o["name"]: o for o in api.get("/api/gan/operations/").json()["operations"]}
    assert listed["sharpen"]["specs"] == ["sharpen", "sharpen-<1..100>"]
    assert listed["sharpen"]["available"] and listed["sharpen"]["rendition_filter"]
    # the admin form, with the operation's own field shown only for it
    client.force_login(gan_world.editor)
    html = client.get(reverse("wagtailimages:edit", args=[gan_world.image.pk])).content.decode()
    assert '<option value="sharpen">Sharpen</option>' in html
    assert 'data-gan-operations="sharpen"' in html and 'name="sharpen_radius"' in html
    # the API and the jobs service accept it; the worker runs it on the dummy backend
    response = api.post("/api/gan/variants/", {"image": gan_world.image.pk,
                                                "operation": "sharpen-40"}, format="json")
    assert response.status_code == 202, response.content
    from wagtail_gan.jobs.worker import run_generation_job
    from wagtail_gan.models import GenerationJob

    job = GenerationJob.objects.get(pk=response.json()["id"])
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.model_id, job.operation) == ("succeeded", "dummy_sharpen",
                                                          "sharpen-40")


def test_registered_operation_is_a_rendition_filter(sharpen, make_image):
    from wagtail.images.models import Filter

    from wagtail_gan.models import RenditionJob

    op = Filter(spec="width-20|sharpen-40").operations[1]
    assert op.spec.params == {"amount": 40} and op.operation is sharpen
    image = make_image(width=40, height=30)
    rendition = image.get_rendition("width-20|sharpen-40")
    assert (rendition.width, rendition.height) == (20, 15)  # the identity fallback
    assert RenditionJob.objects.get().filter_spec == "width-20|sharpen-40"


@pytest.mark.parametrize("spec", ["stylize-③", "winterize-②", "stylize-²", "stylize-3-③",
                                  "upscale-②x", "winterize-１０"])
def test_unicode_digits_are_a_clear_error(spec):
    with pytest.raises(InvalidSpec):
        parse_spec(spec)


def test_every_operation_declares_its_grammar():
    for op in operations.all_operations():
        assert op.name and op.description and op.synopsis, op
        assert op.grammar()
        if op.variant:
            for choice in op.form_choices():
                for name in choice.fields:
                    assert name in op.form_fields(), (op.name, name)
