"""The operation registry is the single source of truth: an operation added as ONE module (here
a real module file, dropped into the operations package and found by its discovery, with no
change to any other module) is a rendition filter, appears in the admin's Generate variant
form with its own field, in the API's operations/ catalog, in the docs tables and the test
dummy models, is accepted by POST variants/ and the jobs service, and runs on the dummy
backend."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient
from wagtail.images.models import Filter

from wagtail_gan import operations
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, RenditionJob
from wagtail_gan.operations import InvalidSpec, docs, parse_spec

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

SHARPEN = """
from django import forms

from .base import FormChoice, InvalidSpec, Operation, parse_int


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
"""


@pytest.fixture
def operation_module(monkeypatch, tmp_path):
    """``add(name, source)``: the module file ``<name>.py`` in a folder of the operations
    package, and the package's discovery run again (as at start-up). Removed afterwards."""
    added = []
    monkeypatch.setattr(operations, "__path__", [*operations.__path__, str(tmp_path)])

    def add(name: str, source: str):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        added.append(name)
        operations.discover(operations.__name__)
        return operations.get(name)

    yield add
    for name in added:
        operations.unregister(name)
        sys.modules.pop(f"{operations.__name__}.{name}", None)
        monkeypatch.delattr(operations, name, raising=False)


@pytest.fixture
def sharpen(operation_module, request):
    op = operation_module("sharpen", SHARPEN)
    request.getfixturevalue("dummy_models")  # the operations' dummies, sharpen's included
    return op


def test_registered_operation_is_everywhere(sharpen, gan_world, client):
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
    job = GenerationJob.objects.get(pk=response.json()["id"])
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.model_id, job.operation) == ("succeeded", "dummy_sharpen",
                                                          "sharpen-40")


def test_discovered_operation_is_in_the_docs_tables_and_dummy_models(sharpen, dummy_models):
    assert type(sharpen).__module__ == "wagtail_gan.operations.sharpen"
    assert dummy_models["dummy_sharpen"] == {"task": "translate", "family": "dummy",
                                             "default_for": ["sharpen"]}
    assert operations.dummy_models()["dummy_sharpen"] == dummy_models["dummy_sharpen"]
    rows = docs.table().splitlines()
    assert ("| `sharpen[-<1..100>]` | Sharpen the image (test operation). | yes | yes "
            "| the unmodified pixels | `dummy_sharpen` |") in rows
    assert rows[-1].startswith("| `sharpen")  # order 100: after the built-ins
    assert "sharpen" not in docs.table(["winterize", "restore"])


def test_registered_operation_is_a_rendition_filter(sharpen, make_image):
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


def test_builtin_operations_are_found_in_their_order():
    assert [op.name for op in operations.all_operations()] == [
        "upscale", "winterize", "stylize", "removebg", "erase", "expand", "restore", "vintage",
        "edit", "generate"]
    assert all(type(op).__module__.startswith("wagtail_gan.operations.")
               for op in operations.all_operations())


FADE = """
from .strength import StrengthOperation


class Fade(StrengthOperation):
    name = "fade"
    label = "Fade"
    description = "Fade the colours (test operation); optional strength 1..100."
    example = 30
    title = "faded"
"""


def test_a_strength_operation_is_a_few_declarative_lines(operation_module):
    fade = operation_module("fade", FADE)
    assert (fade.synopsis, fade.grammar()) == ("fade[-<strength 1..100>]",
                                               ["fade", "fade-<1..100>"])
    spec = parse_spec("fade-40")
    assert (spec.text, spec.params, spec.label) == ("fade-40", {"strength": 40}, "fade (40 %)")
    assert parse_spec("fade").text == "fade" and operations.describe("fade-40") == "faded (40 %)"
    with pytest.raises(InvalidSpec, match=r"fade takes an optional strength 1\.\.100, "
                                          r"e\.g\. fade-30"):
        parse_spec("fade-101")
    assert fade.form_values(spec) == {"operation": "fade", "strength": 40}


@pytest.mark.parametrize("name", ["winterize", "restore"])
def test_strength_operations_clamp_the_editors_strength_once(name):
    op = operations.get(name)
    spec = parse_spec(name)
    assert op.with_strength(spec, 0.7).text == f"{name}-70"
    assert op.with_strength(spec, 1.4).text == name  # 100: never an invalid spec
    assert op.with_strength(spec, 0.001).text == f"{name}-1"


def _marked_files():
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [path for path in files if docs.BLOCK.search(path.read_text(encoding="utf-8"))]


def test_docs_operation_tables_are_the_registrys(settings, tmp_path):
    # The package defaults: no site models, an empty models folder.
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    marked = _marked_files()
    assert ROOT / "docs" / "image-edits.md" in marked
    for path in marked:
        text = path.read_text(encoding="utf-8")
        assert docs.update_blocks(text) == text, (
            f"{path.name}: the operations table differs from the registry's; run "
            f"`manage.py gan_operations --update {path.relative_to(ROOT)}`")


def test_gan_operations_command_checks_and_updates_marked_tables(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text("Intro\n<!-- operations-table: winterize -->\nold\n"
                    "<!-- /operations-table -->\nEnd\n")
    with pytest.raises(CommandError, match="out of date"):
        call_command("gan_operations", "--check", str(page))
    call_command("gan_operations", "--update", str(page))
    assert page.read_text() == ("Intro\n<!-- operations-table: winterize -->\n"
                                + docs.table(["winterize"]) + "<!-- /operations-table -->\nEnd\n")
    call_command("gan_operations", "--check", str(page))
    capsys.readouterr()
    call_command("gan_operations")
    assert capsys.readouterr().out == docs.table()
