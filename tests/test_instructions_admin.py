"""Interpretations where editors and API clients see them: the panel's interpret view (every
step, confidence, the readings to pick from, what was not understood), the reading an editor
picked, ``POST interpret/`` of the REST API, and every instruction the README and docs show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.api.conftest import _clear_throttle_cache, api_world  # noqa: F401 - the fixtures
from tests.api.helpers import api_client_for
from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.gan_admin_fixtures import login
from wagtail_gan.instructions.intent import IntentModel
from wagtail_gan.instructions.router import use_model
from wagtail_gan.models import GenerationJob

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
API = "/api/gan/"


def interpret_url(image):
    return reverse("wagtail_gan_admin:interpret", args=[image.pk])


def documented_examples() -> list[tuple[str, str]]:
    """("instruction", "spec") from the README's and the docs' example lines
    ``- "<instruction>" → `<spec>``` and ``"<instruction>" → `<spec>``` in running text."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        found += re.findall(r'"([^"\n]{3,80})"\s*→\s*`([a-z0-9|-]+)`', text)
    return found


def test_the_docs_show_instructions():
    examples = documented_examples()
    assert len(examples) >= 15
    issue_23 = {"paint it like Monet and double the size", "in the sepia style and upscale 4x",
                "style 7 and double the size"}
    assert issue_23 <= {text for text, _spec in examples}


@pytest.mark.parametrize(("text", "spec"), documented_examples())
def test_every_documented_instruction_previews_with_every_step(gan_world, dummy_models, text,
                                                              spec):
    response = login(gan_world.editor).post(interpret_url(gan_world.image),
                                            {"instruction": text})
    assert response.status_code == 200, response.content[:300]
    data = response.json()["interpretation"]
    assert data["spec"] == spec
    assert [step["spec"] for step in data["steps"]] == spec.split("|")
    assert all(step["label"] and step["explanation"] for step in data["steps"])


def quoted_phrases() -> list[str]:
    """Every "quoted phrase" of docs/instructions.md's "What works" list."""
    text = (ROOT / "docs" / "instructions.md").read_text()
    works = re.sub(r"\s*\n\s*", " ", text[text.index("## What works"):text.index("Examples (")])
    return sorted({p for p in re.findall(r'"([^"]*)"', works) if len(p) >= 2})


def test_every_phrase_of_what_works_previews(gan_world, dummy_models):
    client = login(gan_world.editor)
    phrases = quoted_phrases()
    assert len(phrases) >= 40
    for text in phrases:
        response = client.post(interpret_url(gan_world.image), {"instruction": text})
        assert response.status_code == 200, (text, response.content[:200])
        plan = response.json()["interpretation"]
        assert plan["steps"] and all(step["explanation"] for step in plan["steps"]), text


def test_multi_step_preview_leaves_the_menu_to_the_instruction(gan_world, dummy_models):
    data = login(gan_world.editor).post(interpret_url(gan_world.image), {
        "instruction": "paint it like Monet and double the size"}).json()
    assert data["interpretation"]["available"] is True
    assert data["form_values"] == {"operation": "", "reading": "stylize-monet|upscale-2x"}
    assert [s["available"] for s in data["interpretation"]["steps"]] == [True, True]


def test_missing_step_model_is_named(gan_world, settings, dummy_models):
    gan_models_override(settings, {"dummy_winterize": {**DUMMY_MODELS["dummy_winterize"],
                                                       "default_for": []}})
    data = login(gan_world.editor).post(interpret_url(gan_world.image), {
        "instruction": "style 7 and add snow"}).json()["interpretation"]
    assert data["spec"] == "stylize-7|winterize"
    assert data["available"] is False
    assert [s["available"] for s in data["steps"]] == [True, False]
    assert "winterize" in data["unavailable"] and "stylize" not in data["unavailable"]


def _unsure():
    return use_model(IntentModel(["edit", "erase", "removebg"],
                                 {"bias": [[0, -3.0], [1, 0.2], [2, 0.0]]}, []))


def test_unsure_interpretation_offers_choices_with_their_form_values(gan_world, dummy_models):
    with _unsure():
        data = login(gan_world.editor).post(interpret_url(gan_world.image), {
            "instruction": "erase the background"}).json()
    plan = data["interpretation"]
    assert plan["ambiguous"] is True and plan["question"].startswith("Which did you mean")
    choices = {alt["spec"]: alt["form_values"] for alt in plan["alternatives"]}
    assert set(choices) == {"erase", "removebg"}
    assert choices["erase"]["operation"] == "erase"
    assert choices["removebg"] == {"operation": "removebg", "background_colour": ""}


def test_not_understood_parts_are_returned(gan_world, dummy_models):
    plan = login(gan_world.editor).post(interpret_url(gan_world.image), {
        "instruction": "style 99 and double the size"}).json()["interpretation"]
    assert plan["spec"] == "upscale-2x" and plan["not_understood"] == ["style 99"]


def test_the_picked_reading_runs(gan_world, dummy_models):
    """The panel's hidden ``reading`` field (a multi-step reading the editor clicked) runs
    instead of the router's own best guess; the Operation menu still wins over it."""
    client = login(gan_world.editor)
    url = reverse("wagtail_gan_admin:generate_variant", args=[gan_world.image.pk])
    response = client.post(url, {"instruction": "make it look like stained glass",
                                 "reading": "stylize-15|upscale-2x"})
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.operation == "stylize-15|upscale-2x"
    assert job.interpretation["spec"] == "stylize-15"
    assert job.interpretation["overridden_by"] == "stylize-15|upscale-2x"
    client.post(url, {"instruction": "make it look like stained glass",
                      "reading": "stylize-15|upscale-2x", "operation": "upscale-4x"})
    assert GenerationJob.objects.latest("pk").operation == "upscale-4x"
    # a bad reading is refused like a bad operation, nothing queued
    response = client.post(url, {"instruction": "x", "reading": "nonsense-1"})
    assert response.status_code == 400 and GenerationJob.objects.count() == 2


# -- REST API ----------------------------------------------------------------------------------

def test_api_interpret(api_world):  # noqa: F811
    client = api_client_for(api_world.editor)
    response = client.post(API + "interpret/", {
        "instruction": "remove the background and upscale 4x"}, format="json")
    assert response.status_code == 200
    plan = response.json()["interpretation"]
    assert plan["spec"] == "removebg|upscale-4x" and plan["operation"] == "steps"
    assert [s["spec"] for s in plan["steps"]] == ["removebg", "upscale-4x"]
    assert plan["ambiguous"] is False and plan["alternatives"] == []
    assert plan["not_understood"] == [] and 0 < plan["confidence"] <= 1
    assert isinstance(plan["available"], bool)
    assert GenerationJob.objects.count() == 0  # nothing queued


def test_api_interpret_choices_and_errors(api_world):  # noqa: F811
    client = api_client_for(api_world.editor)
    with _unsure():
        plan = client.post(API + "interpret/", {"instruction": "erase the background"},
                           format="json").json()["interpretation"]
    assert plan["ambiguous"] and [a["spec"] for a in plan["alternatives"]] == ["erase",
                                                                               "removebg"]
    assert client.post(API + "interpret/", {"instruction": ""}, format="json").status_code == 400
    long = client.post(API + "interpret/", {"instruction": "y" * 600}, format="json")
    assert long.status_code == 400 and "limit is 500" in long.json()["instruction"][0]
    assert api_client_for(None).post(API + "interpret/", {"instruction": "x"},
                                     format="json").status_code == 401
