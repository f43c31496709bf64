"""Natural-language routing: a table of instructions, paraphrases and negatives."""

from __future__ import annotations

import pytest
from django.test import override_settings

from wagtail_gan.instructions import EditPlan, InstructionError, interpret

# (instruction, expected spec)
TABLE = [
    # upscale
    ("upscale this 4x", "upscale-4x"),
    ("Upscale it", "upscale-4x"),
    ("please upscale by 2x", "upscale-2x"),
    ("make it twice as big", "upscale-2x"),
    ("double the resolution", "upscale-2x"),
    ("increase the resolution", "upscale-4x"),
    ("enlarge the photo four times", "upscale-4x"),
    ("I need a higher resolution version", "upscale-4x"),
    ("make this image bigger", "upscale-4x"),
    ("super-resolution please", "upscale-4x"),
    ("blow it up 2x", "upscale-2x"),
    ("scale it up x4", "upscale-4x"),
    ("hi-res version for print", "upscale-4x"),
    ("Upscale 8x", "upscale-4x"),
    # winterize
    ("make it winter", "winterize"),
    ("add snow", "winterize"),
    ("Add some snow", "winterize-50"),
    ("turn this summer scene into winter", "winterize"),
    ("cover the landscape in snow", "winterize"),
    ("make it look wintry", "winterize"),
    ("a light dusting of snow on the hills", "winterize-50"),
    ("make everything frozen and icy", "winterize"),
    ("snowy version", "winterize"),
    ("Make it feel like December", "winterize"),
    # stylize: painters
    ("paint it like Monet", "stylize-monet"),
    ("in the style of Claude Monet", "stylize-monet"),
    ("make it impressionist", "stylize-monet"),
    ("Van Gogh style", "stylize-vangogh"),
    ("like Starry Night", "stylize-vangogh"),
    ("in the manner of Cézanne", "stylize-cezanne"),
    ("as a ukiyo-e print", "stylize-ukiyoe"),
    ("Japanese woodblock print", "stylize-ukiyoe"),
    ("like Hokusai", "stylize-ukiyoe"),
    # stylize: built-in styles
    ("style 7", "stylize-7"),
    ("apply style #12", "stylize-12"),
    ("use preset 0", "stylize-0"),
    ("apply the fauve style", "stylize-7"),
    ("sepia filter please", "stylize-18"),
    ("give it the ink look", "stylize-22"),
    ("starry style", "stylize-19"),
    # free-form edits, including negatives of the named operations
    ("make the sky pink", "edit"),
    ("make the person smile", "edit"),
    ("remove the snow", "edit"),
    ("don't upscale, just brighten it", "edit"),
    ("no snow please, add flowers instead", "edit"),
    ("get rid of the frost on the window", "edit"),
    ("without winter, make it a sunny beach", "edit"),
    ("make it look less wintry", "edit"),
    ("turn the car red", "edit"),
    ("add fireworks in the background", "edit"),
    ("make it look like a watercolor painting", "edit"),
    ("style 99", "edit"),
    ("make the dog wear a hat", "edit"),
    ("add bricks to the wall", "edit"),
    ("make it look like dusk", "edit"),
    ("not in the style of Monet, make it a pencil sketch", "edit"),
]


@pytest.mark.parametrize(("text", "spec"), TABLE)
def test_instruction_table(text, spec):
    plan = interpret(text)
    assert isinstance(plan, EditPlan)
    assert plan.spec == spec, (text, plan)
    assert plan.explanation


def test_table_is_large_enough():
    assert len(TABLE) >= 40
    assert {s.split("-")[0] for _, s in TABLE} == {"upscale", "winterize", "stylize", "edit"}


def test_free_form_edit_keeps_the_instruction_as_prompt():
    plan = interpret("  make the sky <b>pink</b>  ")
    assert plan.operation == "edit"
    assert plan.params == {"prompt": "make the sky <b>pink</b>"}
    assert plan.confidence < 0.9


def test_named_operations_carry_params():
    assert interpret("upscale 2x").params == {"scale": 2}
    assert interpret("paint it like van gogh").params == {"painter": "vangogh"}
    assert interpret("a bit of snow").params == {"strength": 50}
    assert interpret("style 3").as_dict()["label"] == "stylize with style 3 (electric)"


def test_style_of_a_library_image_by_title():
    titles = {"sunset over the bay": (42, "Sunset over the bay")}

    def lookup(title):
        return titles.get(title.lower())

    plan = interpret("in the style of “Sunset over the bay”", image_lookup=lookup)
    assert plan.spec == "stylize-image42"
    assert plan.params["style_image_title"] == "Sunset over the bay"
    # unknown title: a free-form edit, not a guess
    assert interpret("in the style of Nothing Here", image_lookup=lookup).spec == "edit"


@pytest.mark.parametrize("text", ["", "   ", None, "\n\t"])
def test_empty_instruction_rejected(text):
    with pytest.raises(InstructionError, match="Describe the edit"):
        interpret(text)


def test_overlong_instruction_rejected():
    with pytest.raises(InstructionError, match="limit is 500"):
        interpret("a" * 501)
    assert interpret("a" * 500).operation == "edit"
    with override_settings(WAGTAIL_GAN={"MAX_INSTRUCTION_LENGTH": 10}):
        with pytest.raises(InstructionError, match="limit is 10"):
            interpret("add snow to the roof")


# (instruction, expected spec of the steps, in the order they run)
MULTI_STEP = [
    ("make it snowy, then upscale it 4x", "winterize|upscale-4x"),
    ("paint it like Monet and double the size", "stylize-monet|upscale-2x"),
    ("upscale 2x and make it look like van gogh", "stylize-vangogh|upscale-2x"),  # cheaper order
    ("add some snow and apply the sepia style", "winterize-50|stylize-18"),
    ("make it winter but don't upscale", "winterize"),
    ("don't upscale it, and no snow", "edit"),
]


@pytest.mark.parametrize(("text", "spec"), MULTI_STEP)
def test_several_steps_in_one_instruction(text, spec):
    plan = interpret(text)
    assert plan.spec == spec, (text, plan)
    assert [step.spec for step in plan.steps] == spec.split("|")
    assert plan.as_dict()["steps"][0]["spec"] == spec.split("|")[0]


def test_single_step_plan_is_its_own_step():
    plan = interpret("upscale 2x")
    assert plan.steps == (plan,) and plan.as_dict()["steps"][0]["label"] == "upscale 2x"


def test_multi_step_plan_says_why_upscale_runs_last():
    plan = interpret("upscale 2x and make it look like van gogh")
    assert plan.operation == "steps"
    assert "Upscaling runs last" in plan.explanation
    assert plan.label == "stylize like Van Gogh, then upscale 2x"


NEW_VERBS = [
    ("cut out the product", "removebg"),
    ("make the background transparent", "removebg"),
    ("remove the background and upscale 4x", "removebg|upscale-4x"),
    ("erase the power lines", "erase"),
    ("remove the tourists", "erase"),
    ("restore this old photo", "restore"),
    ("fix the JPEG artefacts", "restore"),
    ("make it wider, 16:9", "expand-16x9"),
    ("zoom out and fill in the surroundings", "expand-left256-top256-right256-bottom256"),
    ("make it square", "expand-square"),
    ("remove the snow", "edit"),  # not an object to erase, not a background: free-form
    ("don't remove the background, make it brighter", "edit"),
]


@pytest.mark.parametrize(("text", "spec"), NEW_VERBS)
def test_new_operations_are_routed(text, spec):
    assert interpret(text).spec == spec


def test_erase_without_a_mask_asks_for_the_area():
    assert "paint the area" in interpret("erase the power lines").explanation
