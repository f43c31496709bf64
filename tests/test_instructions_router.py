"""The instruction router beyond the routing table of ``test_instructions.py``: described
styles, confidence and choices, availability, what was not understood, negation scopes,
operations that bring their own words, and inputs that must never raise."""

from __future__ import annotations

import pytest

from wagtail_gan import operations
from wagtail_gan.instructions import ASK_BELOW, EditPlan, interpret
from wagtail_gan.instructions.intent import IntentModel
from wagtail_gan.instructions.router import use_model
from wagtail_gan.operations.stylize import NUM_STYLES, PAINTERS, STYLE_NAMES
from wagtail_gan.operations.vocabulary import Vocabulary


def anything(spec) -> bool:
    return True


def read(text: str, **kwargs) -> EditPlan:
    return interpret(text, available=kwargs.pop("available", anything), **kwargs)


# -- described styles ------------------------------------------------------------------------

DESCRIBED = [
    ("make it look like a crayon drawing", "stylize-0", "crayon"),
    ("like it was drawn in chalk", "stylize-0", "chalk"),
    ("comic book style", "stylize-1", "comic book"),
    ("like stained glass", "stylize-15", "stained glass"),
    ("pop art please", "stylize-21", "pop art"),
    ("like a Mondrian", "stylize-17", "mondrian"),
    ("picasso-esque", "stylize-13", "picasso"),
    ("thick oil paint with visible brush strokes", "stylize-25", ""),
    ("moody dark green look", "stylize-23", "moody"),
    ("give it an engraving look, like on a banknote", "stylize-24", ""),
    ("soft dreamy haze", "stylize-12", "dream"),
    ("like the great wave", "stylize-ukiyoe", "great wave"),
    ("swirly van gogh brushstrokes", "stylize-vangogh", "van gogh"),
]


@pytest.mark.parametrize(("text", "spec", "words"), DESCRIBED)
def test_described_styles_map_to_the_nearest_and_say_which(text, spec, words):
    plan = read(text)
    assert plan.spec == spec, (text, plan)
    title = operations.parse_spec(spec).op.title_for(plan.params)
    assert words in plan.explanation.lower() and (
        title in plan.explanation or plan.label in plan.explanation), plan.explanation


def test_crayon_says_pastel():
    plan = read("crayon look")
    assert plan.spec == "stylize-0"
    assert "“crayon” → pastel style" in plan.explanation
    assert "nearest" in plan.explanation


def test_every_style_and_painter_has_descriptive_words():
    looks = operations.get("stylize").vocabulary.looks
    args = {look.arg for look in looks}
    assert args == {str(i) for i in range(NUM_STYLES)} | set(PAINTERS)
    for look in looks:
        assert look.description and len(look.names + look.words) >= 3, look.arg
        if look.arg.isdigit():
            assert STYLE_NAMES[int(look.arg)] in look.styled


def test_descriptions_need_a_style_word_or_two_words_of_one_look():
    # colours alone are edits; a look word after a content verb is content
    assert read("turn the car red").spec == "edit"
    assert read("make the sky pink").spec == "edit"
    assert read("add fire and lava to the volcano").spec == "edit"
    assert read("red and black look").spec == "stylize-20"


# -- confidence, choices, availability -------------------------------------------------------

def test_every_plan_has_a_confidence_and_sure_plans_offer_no_choice():
    plan = read("upscale this 4x")
    assert plan.confidence >= ASK_BELOW and not plan.ambiguous and plan.alternatives == ()
    data = plan.as_dict()
    assert data["confidence"] == round(plan.confidence, 2) and data["ambiguous"] is False
    assert data["alternatives"] == [] and "question" not in data


def _even_model() -> IntentModel:
    """A model that can hardly tell erasing from removing the background."""
    return IntentModel(["edit", "erase", "removebg"],
                       {"bias": [[0, -3.0], [1, 0.2], [2, 0.0]]}, [])


def test_unsure_plan_offers_its_two_best_readings():
    with use_model(_even_model()):
        plan = read("erase the background")
    assert plan.ambiguous and plan.confidence < ASK_BELOW
    specs = [alt.spec for alt in plan.alternatives]
    assert specs[0] == plan.spec and sorted(specs) == ["erase", "removebg"]
    data = plan.as_dict(available=anything)
    assert [a["spec"] for a in data["alternatives"]] == specs
    assert data["question"].startswith("Which did you mean")
    assert all(a["available"] for a in data["alternatives"])


def test_shipped_model_asks_about_a_vague_removal():
    plan = read("get rid of it")
    assert plan.ambiguous
    assert len({alt.spec for alt in plan.alternatives}) == 2


def test_an_available_reading_wins_over_an_unavailable_one_that_fits_about_as_well():
    def no_erase(spec):
        return spec.operation != "erase"

    with use_model(_even_model()):
        sure = read("erase the background")
        plan = read("erase the background", available=no_erase)
    other = next(alt.spec for alt in sure.alternatives if alt.spec != "erase")
    assert "erase" in {alt.spec for alt in sure.alternatives}
    assert plan.spec == other
    assert "not installed" in plan.explanation


def test_a_clear_reading_is_kept_even_when_its_model_is_missing():
    plan = read("erase the power lines", available=lambda spec: spec.operation != "erase")
    assert plan.spec == "erase"
    assert plan.as_dict(available=lambda spec: spec.operation != "erase")["available"] is False


# -- nothing dropped silently ----------------------------------------------------------------

def test_a_part_no_operation_can_run_is_reported_not_understood():
    plan = read("style 99 and double the size")
    assert plan.spec == "upscale-2x"
    assert plan.not_understood == ("style 99",)
    assert "none of its settings matches" in plan.explanation
    assert plan.as_dict()["not_understood"] == ["style 99"]


def test_a_content_edit_beside_a_named_operation_is_a_step():
    plan = read("add fireworks and make it bigger")
    assert plan.spec == "edit|upscale-4x"
    assert plan.steps[0].params["prompt"] == "add fireworks"


def test_a_described_style_and_double_the_size_keeps_both_parts():
    plan = read("give it a crayon drawing look and double the size")
    assert plan.spec == "stylize-0|upscale-2x"
    assert plan.not_understood == ()


# -- clauses and negation --------------------------------------------------------------------

SCOPES = [
    ("not Monet, Van Gogh", "stylize-vangogh"),
    ("van gogh rather than monet", "stylize-vangogh"),
    ("keep the background, remove the guy on the left", "erase"),
    ("remove the people but keep the background", "erase"),
    ("leave the background alone and make it bigger", "upscale-4x"),
    ("I don't want the people removed, just the cars", "erase"),
    ("don't remove the people", "edit"),
    ("no background please", "removebg"),
    ("the beach without the tourists", "erase"),
    ("turn this winter scene into summer", "edit"),
    ("from summer to winter", "winterize"),
    ("not too much snow", "winterize-50"),
    ("remove the noise and the background", "restore|removebg"),
    ("remove the scratches and the logo", "restore|erase"),
    ("without the background, and twice as big", "removebg|upscale-2x"),
    ("2x and snowy", "winterize|upscale-2x"),
]


@pytest.mark.parametrize(("text", "spec"), SCOPES)
def test_negation_scopes_and_conjunctions(text, spec):
    assert read(text).spec == spec


def test_typos_and_british_spelling():
    assert read("upsacle this").spec == "upscale-4x"
    assert read("remvoe the backgound").spec == "removebg"
    assert read("paint it like van goh").spec == "stylize-vangogh"
    assert read("make the background grey").spec == "removebg-808080"
    # a real word one letter from a known one is not "corrected"
    assert read("paint it with glitter").spec == "edit"


# -- operations bring their own words --------------------------------------------------------

class Pixelate(operations.Operation):
    name = "pixelate"
    label = "Pixelate"
    vocabulary = Vocabulary(words=("pixelate", "8 bit", "pixel art look", "mosaic blur"),
                            examples=("pixelate the faces",))


def test_a_registered_operation_is_routed_by_its_own_vocabulary():
    assert read("make it 8-bit").operation != "pixelate"
    operations.register(Pixelate())
    try:
        assert read("make it 8-bit").spec == "pixelate"
        assert read("pixelate it, then upscale 2x").spec == "pixelate|upscale-2x"
    finally:
        operations.unregister("pixelate")
    assert read("pixelate it").operation != "pixelate"


def test_an_operation_without_a_vocabulary_or_not_registered_is_never_planned():
    names = {op.name for op in operations.all_operations()}
    assert "generate" in names and getattr(operations.get("generate"), "vocabulary", None) is None
    assert read("generate a new image of a cat").operation != "generate"
    if "vintage" not in names:  # the router holds vintage's words until it is registered
        assert "vintage" not in read("make it look like an old photo").spec


# -- never raises ----------------------------------------------------------------------------

ODD = ["?", "...", "🙂🙂", "2x2x2x2x", "<script>alert(1)</script>", "ÄÖÜ ß", "画像を大きくして",
       "and and and", "not not not", "style", "style -1", "expand-99x99", "removebg-zzz",
       "x" * 500, "upscale " * 60, "in the style of", "remove", "keep", "the", "-", "''",
       "don't", "snow snow snow and upscale and stylize and erase and expand and restore"]


@pytest.mark.parametrize("text", ODD)
def test_odd_instructions_never_raise_and_always_parse(text):
    plan = read(text)
    for step in plan.steps:
        operations.parse_spec(step.spec)
    assert len(plan.steps) <= operations.registry.MAX_STEPS
    assert plan.explanation and 0 <= plan.confidence <= 1
    assert isinstance(plan.as_dict(available=anything)["not_understood"], list)
