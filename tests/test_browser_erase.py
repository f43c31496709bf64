"""The erase tool in a real browser (see ``test_browser.py`` for the set-up): choose "Erase
objects", paint with the mouse, undo, paint again with a bigger brush, drag a rectangle, submit;
the job's mask is in pixels of the SOURCE image (the tool shows a smaller rendition).

Screenshot: ``test-artifacts/40-erase-tool.png``.
"""

from __future__ import annotations

import json
import re

from tests.test_browser import (
    ARTIFACTS,
    browser_page,  # noqa: F401 - the fixture
    log_in,
    pytestmark,  # noqa: F401 - browser, slow, transactional db
)
from tests.test_browser_editor import editor_in_team
from wagtail_gan.models import GenerationJob

SOURCE_W, SOURCE_H = 1200, 900  # shown as a max-800x600 rendition, scaled to the panel


def drag(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*p, steps=8)
    page.mouse.up()


def mask_field(page):
    value = page.input_value("input[name=erase_mask_json]")
    return json.loads(value) if value else None


def test_paint_undo_rectangle_and_submit(browser_page, dummy_models, make_image,  # noqa: F811
                                         django_user_model):
    page = browser_page
    editor_in_team(django_user_model)
    source = make_image(title="Beach with a bin", width=SOURCE_W, height=SOURCE_H)
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")
    assert not page.locator(".gan-erase").is_visible()
    page.select_option("select[name=operation]", "erase")
    tool = page.locator(".gan-erase")
    assert tool.is_visible() and "Paint over what to remove" in tool.inner_text()
    assert "Nothing marked yet." in tool.inner_text()
    canvas = page.locator(".gan-erase__canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    img = page.locator(".gan-erase__img").bounding_box()
    assert abs(box["width"] - img["width"]) < 1 and abs(box["height"] - img["height"]) < 1
    scale = SOURCE_W / box["width"]
    assert scale > 1.4  # the tool shows a smaller picture: the mask must be scaled up
    assert abs(SOURCE_H / box["height"] - scale) < 0.02

    def at(fx, fy):  # a point of the displayed image, as a fraction of its size
        return (box["x"] + fx * box["width"], box["y"] + fy * box["height"])

    def source_px(point):
        return ((point[0] - box["x"]) * scale, (point[1] - box["y"]) * scale)

    # a stroke, then Undo: nothing left
    drag(page, [at(0.1, 0.1), at(0.3, 0.2)])
    assert len(mask_field(page)["strokes"]) == 1
    assert not page.locator("button:has-text('Undo')").is_disabled()
    page.click("button:has-text('Undo')")
    assert mask_field(page) is None
    assert page.locator("button:has-text('Undo')").is_disabled()

    # a bigger brush, a stroke; a rectangle
    page.fill(".gan-erase input[type=range]", "30")
    stroke = [at(0.2, 0.5), at(0.4, 0.55), at(0.5, 0.7)]
    drag(page, stroke)
    page.click(".gan-erase button:has-text('Rectangle')")
    corners = [at(0.6, 0.2), at(0.85, 0.45)]
    drag(page, corners)
    assert "Marked: 1 stroke, 1 rectangle." in tool.inner_text()
    tool.screenshot(path=str(ARTIFACTS / "40-erase-tool.png"))
    page.screenshot(path=str(ARTIFACTS / "41-erase-panel.png"), full_page=True)

    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/gan/jobs/\d+/$"))
    job = GenerationJob.objects.get()
    assert job.operation == "erase" and job.source_image_id == source.pk
    mask = job.params["mask"]
    assert mask["size"] == [SOURCE_W, SOURCE_H]
    assert len(mask["strokes"]) == 1  # the undone stroke is gone
    points, radius = mask["strokes"][0]["points"], mask["strokes"][0]["radius"]
    assert abs(radius - 15 * scale) < 0.2  # brush size 30 displayed px = a diameter
    for got, want in ((points[0], source_px(stroke[0])), (points[-1], source_px(stroke[-1]))):
        assert abs(got[0] - want[0]) <= scale + 0.5 and abs(got[1] - want[1]) <= scale + 0.5, \
            (got, want)
    assert len(points) >= 3 and all(0 <= x <= SOURCE_W and 0 <= y <= SOURCE_H
                                    for x, y in points)
    (x, y, w, h), = mask["rects"]
    x0, y0 = source_px(corners[0])
    x1, y1 = source_px(corners[1])
    for got, want in ((x, x0), (y, y0), (w, x1 - x0), (h, y1 - y0)):
        assert abs(got - want) <= 2 * scale, (mask["rects"], (x0, y0, x1 - x0, y1 - y0))
    assert not page.errors, page.errors


def pointer_stroke(page, kind, points, pointer_id):
    """A stroke as a touch screen or a pen sends it (Pointer Events, like a real device)."""
    page.evaluate("""([kind, points, id]) => {
        const canvas = document.querySelector('.gan-erase__canvas');
        const send = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
            pointerId: id, pointerType: kind, isPrimary: true, clientX: x, clientY: y,
            button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
            bubbles: true, cancelable: true}));
        send('pointerdown', points[0]);
        points.slice(1).forEach((p) => send('pointermove', p));
        send('pointerup', points[points.length - 1]);
    }""", [kind, points, pointer_id])


def test_touch_and_pen_and_the_mask_survives_an_invalid_submission(
        browser_page, dummy_models, make_image, django_user_model):  # noqa: F811
    page = browser_page
    editor_in_team(django_user_model)
    source = make_image(title="Street", width=SOURCE_W, height=SOURCE_H)
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")
    page.select_option("select[name=operation]", "erase")
    canvas = page.locator(".gan-erase__canvas")
    canvas.scroll_into_view_if_needed()
    assert canvas.evaluate("c => getComputedStyle(c).touchAction") == "none"  # no scrolling
    box = canvas.bounding_box()
    scale = SOURCE_W / box["width"]
    pts = [(box["x"] + 40 + 10 * i, box["y"] + 60 + 5 * i) for i in range(6)]
    pointer_stroke(page, "touch", pts, 11)
    pointer_stroke(page, "pen", [(p[0], p[1] + 100) for p in pts], 12)
    strokes = mask_field(page)["strokes"]
    assert len(strokes) == 2
    assert abs(strokes[0]["points"][0][0] - 40 * scale) <= scale + 0.5
    assert abs(strokes[1]["points"][0][1] - 160 * scale) <= scale + 0.5

    # a bad rectangle in the fallback field: the page comes back, the painting with it
    page.fill("input[name=erase_mask]", "10.10.0.5")
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_selector("text=Bad erase rectangle")
    assert not GenerationJob.objects.exists()
    assert "Marked: 2 strokes." in page.inner_text(".gan-erase")
    assert mask_field(page)["strokes"] == strokes
    page.click(".gan-erase button:has-text('Clear')")
    assert mask_field(page) is None and "Nothing marked yet." in page.inner_text(".gan-erase")
    page.fill("input[name=erase_mask]", "")
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_selector("text=paint over it on the image")
    assert not GenerationJob.objects.exists()
    page.screenshot(path=str(ARTIFACTS / "42-erase-nothing-marked.png"), full_page=True)
    assert not page.errors, page.errors
