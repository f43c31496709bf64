"""The panel's interpretation in a real browser (set-up: ``test_browser.py``): an unsure
instruction shows the readings as choices and picking one selects it; a two-step instruction
previews every step (it answered 500 before); a part that was not understood is shown.

Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from tests.test_browser import (
    ARTIFACTS,
    browser_page,  # noqa: F401 - the fixture
    log_in,
    photo,
    pytestmark,  # noqa: F401 - browser, slow, transactional db
)
from tests.test_browser_editor import editor_in_team
from wagtail_gan.instructions.intent import IntentModel
from wagtail_gan.instructions.router import use_model
from wagtail_gan.models import GenerationJob


def _unsure_model():
    """An intent model that can hardly tell erasing from removing the background (the live
    server runs in this process, so the router uses it)."""
    return IntentModel(["edit", "erase", "removebg"],
                       {"bias": [[0, -3.0], [1, 0.2], [2, 0.0]]}, [])


def open_panel(page, make_image, django_user_model):
    """The editor's image page with the Generate variant panel open."""
    editor_in_team(django_user_model)
    image = photo(make_image, "Cup of coffee")
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/images/{image.pk}/")
    page.click("summary:has-text('Generate variant')")


def test_unsure_instruction_offers_choices(browser_page, dummy_models, make_image,  # noqa: F811
                                           django_user_model):
    page = browser_page
    open_panel(page, make_image, django_user_model)
    with use_model(_unsure_model()):
        page.fill("textarea[name=instruction]", "erase the background")
        page.wait_for_selector(".gan-interpretation [data-gan-choice]")
        box = page.locator(".gan-interpretation")
        assert "Which did you mean?" in box.inner_text()
        assert "unsure" in box.inner_text()
        choices = page.locator(".gan-interpretation [data-gan-choice]")
        assert choices.count() == 2
        assert {choices.nth(i).get_attribute("data-gan-choice") for i in range(2)} == {
            "erase", "removebg"}
        # nothing is pre-selected while the router is unsure
        assert page.input_value("select[name=operation]") == ""
        page.screenshot(path=str(ARTIFACTS / "40-instruction-choices.png"), full_page=True)
        page.click(".gan-interpretation [data-gan-choice=removebg]")
        assert page.input_value("select[name=operation]") == "removebg"
        assert page.get_attribute(".gan-interpretation [data-gan-choice=removebg]",
                                  "aria-pressed") == "true"
        page.click(".gan-interpretation [data-gan-choice=erase]")
        assert page.input_value("select[name=operation]") == "erase"
        assert page.locator("fieldset.gan-erase").is_visible()  # the mask tool for erase
    assert GenerationJob.objects.count() == 0
    assert not page.errors, page.errors


def test_two_steps_and_not_understood_preview(browser_page, dummy_models, make_image,  # noqa: F811
                                              django_user_model):
    page = browser_page
    open_panel(page, make_image, django_user_model)
    page.fill("textarea[name=instruction]", "in the sepia style and upscale 4x")
    page.wait_for_selector(".gan-interpretation [data-gan-step]")
    steps = page.locator(".gan-interpretation [data-gan-step]")
    assert steps.count() == 2
    assert [steps.nth(i).get_attribute("data-gan-step") for i in range(2)] == [
        "stylize-18", "upscale-4x"]
    assert page.input_value("select[name=operation]") == ""  # the instruction decides
    page.screenshot(path=str(ARTIFACTS / "41-instruction-two-steps.png"), full_page=True)
    page.fill("textarea[name=instruction]", "style 99 and double the size")
    page.wait_for_selector(".gan-interpretation [data-gan-not-understood]")
    text = page.inner_text(".gan-interpretation")
    assert "Not understood" in text and "style 99" in text and "upscale 2x" in text
    page.screenshot(path=str(ARTIFACTS / "42-instruction-not-understood.png"), full_page=True)
    # the two-step instruction runs as one job of two steps
    page.fill("textarea[name=instruction]", "paint it like Monet and double the size")
    page.wait_for_selector(".gan-interpretation [data-gan-step='stylize-monet']")
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_url(lambda url: "/admin/gan/jobs/" in url)
    assert GenerationJob.objects.get().operation == "stylize-monet|upscale-2x"
    assert not page.errors, page.errors
