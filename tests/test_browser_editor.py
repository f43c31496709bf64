"""The editor experience in a real browser (see ``test_browser.py`` for the set-up): Cancel from
the jobs listing, an operation whose model is missing, installing a model from the Models page
with a real worker and a local download, the review filter, Generate within reach.

Screenshots go to ``test-artifacts/``; the README's pictures in ``docs/img/`` are cropped
screenshots of the panel, a job page and the Models page (``save_doc_image``; refresh them with
``GAN_UPDATE_DOC_IMAGES=1``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.gan_admin_fixtures import grant, write_pending_output
from tests.test_browser import (
    ARTIFACTS,
    ROOT,
    browser_page,  # noqa: F401 - the fixture
    log_in,
    photo,
    pytestmark,  # noqa: F401 - browser, slow, transactional db
)
from tests.utils import HueyConsumer, SlowFile, ensure_wagtail_roots, serve
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob, ModelTask
from wagtail_gan.models_zoo import registry

DOC_IMG = ROOT / "docs" / "img"


def save_doc_image(page, name: str, selector: str, pad: int = 12) -> None:
    """A cropped screenshot of ``selector`` (small PNGs): ``test-artifacts/doc-<name>``, and
    the README's ``docs/img/<name>`` with GAN_UPDATE_DOC_IMAGES=1 (so that a test run does
    not change the working tree)."""
    box = page.locator(selector).first.bounding_box()
    folder = DOC_IMG if os.environ.get("GAN_UPDATE_DOC_IMAGES") == "1" else ARTIFACTS
    if folder is ARTIFACTS:
        name = f"doc-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    clip = {"x": max(0, box["x"] - pad), "y": max(0, box["y"] - pad)}
    clip["width"] = min(box["width"] + 2 * pad, size["width"] - clip["x"])
    clip["height"] = min(box["height"] + 2 * pad, 1400)
    page.screenshot(path=str(folder / name), clip=clip, full_page=True)


def editor_in_team(django_user_model):
    """A non-superuser editor who may add and change images in the root collection."""
    root = ensure_wagtail_roots()
    group = Group.objects.create(name="GAN browser editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    grant(group, root, "add_image", "change_image", "choose_image")
    user = django_user_model.objects.create_user("editor", "e@example.com", "pw")
    user.groups.add(group)
    return user


def test_cancel_from_the_jobs_listing(browser_page, dummy_models, make_image,  # noqa: F811
                                      django_user_model):
    page = browser_page
    editor = editor_in_team(django_user_model)
    source = photo(make_image, "Cup of coffee")
    job = jobs.submit_variant_job(user=editor, image=source, operation="upscale-4x")  # no worker
    log_in(page, "editor")
    page.goto(page.base + "/admin/gan/jobs/")
    row = page.locator("table tbody tr", has_text="Cup of coffee")
    assert "queued" in row.inner_text().lower() and "upscaled 4×" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "20-listing-before-cancel.png"), full_page=True)
    row.locator("button:has-text('Cancel')").click()
    page.wait_for_selector("text=Job cancelled.")
    assert re.search(r"/admin/gan/jobs/$", page.url)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.CANCELLED
    assert "cancelled" in page.locator("table tbody tr",
                                       has_text="Cup of coffee").inner_text().lower()
    page.screenshot(path=str(ARTIFACTS / "21-listing-cancelled.png"), full_page=True)
    assert not page.errors, page.errors


def test_unavailable_operation_is_shown_and_nothing_is_queued(browser_page, settings,  # noqa: F811
                                                              make_image, django_user_model):
    # winterize, the painters' and the free-form edit's models are not installed
    gan_models_override(settings, {n: {**DUMMY_MODELS[n], "default_for": []}
                                   for n in ("dummy_winterize", "dummy_edit", "dummy_generate")})
    gan_models_override(settings, {"dummy_stylize": {**DUMMY_MODELS["dummy_stylize"],
                                                     "default_for": ["stylize", "stylize-image"]},
                                   "dummy_upscale_x4": DUMMY_MODELS["dummy_upscale_x4"],
                                   "dummy_upscale_x2": DUMMY_MODELS["dummy_upscale_x2"]})
    page = browser_page
    editor_in_team(django_user_model)
    source = photo(make_image, "Cup of coffee")
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")
    assert page.locator("option[value=winterize]").is_disabled()
    assert page.locator("option[value=painter]").is_disabled()
    assert page.locator("option[value=edit]").is_disabled()
    assert not page.locator("option[value=stylize]").is_disabled()
    note = page.inner_text("form.gan-variant-form [data-gan-unavailable]")
    assert "Winterize" in note and "administrator must install" in note
    page.fill("textarea[name=instruction]", "add some snow")
    page.wait_for_selector(".gan-interpretation [data-gan-unavailable]")
    text = page.inner_text(".gan-interpretation")
    assert "Interpreted as: winterize" in text and "can’t run yet" in text
    assert page.input_value("select[name=operation]") == ""  # nothing pre-selected
    assert page.inner_text("[data-gan-counter]").startswith("13 / 500")
    page.locator(".gan-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "22-unavailable-operation.png"), full_page=True)
    save_doc_image(page, "panel.png", ".gan-panel")
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_selector(".error-message:has-text('can’t run yet')")
    assert GenerationJob.objects.count() == 0
    page.screenshot(path=str(ARTIFACTS / "23-unavailable-refused.png"), full_page=True)
    # "in the style of <title>" fills the image chooser: the Operation menu says what will run
    harbour = photo(make_image, "Harbour")
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")
    page.fill("textarea[name=instruction]", "in the style of Harbour")
    page.wait_for_selector(".gan-interpretation:has-text('Harbour')")
    page.wait_for_function("document.querySelector('[name=operation]').value === 'style-image'")
    assert page.input_value("input[name=style_image]") == str(harbour.pk)
    assert page.inner_text("[data-gan-variant-form-target=styleImage] [data-chooser-title]") \
        == "Harbour"
    page.screenshot(path=str(ARTIFACTS / "30-style-of-title-chooser.png"), full_page=True)
    assert not page.errors, page.errors


@pytest.fixture
def slow_download():
    with serve(SlowFile) as base:
        yield f"{base}/tiny_sr.pth"


def test_install_a_model_from_the_models_page(browser_page, settings, slow_download,  # noqa: F811
                                              django_user_model, tmp_path):
    payload = SlowFile.PAYLOAD
    entry = {"task": "upscale", "family": "spandrel", "url": slow_download,
             "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload),
             "licence": "MIT (test file)", "description": "a test download served locally"}
    gan_models_override(settings, {"tiny_sr": entry})
    consumer = HueyConsumer(log_path=tmp_path / "consumer.log", extra_env={
        "GAN_TEST_EXTRA_MODELS": json.dumps(settings.WAGTAIL_GAN["MODELS"])})
    consumer.start()
    try:
        page = browser_page
        django_user_model.objects.create_superuser("admin", "a@example.com", "pw")
        log_in(page, "admin")
        page.goto(page.base + "/admin/gan/models/")
        row = page.locator("#model-tiny_sr")
        assert "not installed" in row.inner_text().lower() and "MIT (test file)" in row.inner_text()
        assert "realesrgan_x4plus" in page.content()
        row.locator("[data-gan-install]").click()
        page.wait_for_selector("[data-gan-model-task=tiny_sr] [data-gan-task-bar]")
        seen = []
        deadline = time.monotonic() + 90
        shot = False
        while time.monotonic() < deadline:
            bar = page.locator("[data-gan-model-task=tiny_sr] [data-gan-task-bar]")
            try:
                value = int(bar.get_attribute("value", timeout=1000) or 0)
            except Exception:  # the page reloads when the task is done
                value = None
            if value is not None and (not seen or value != seen[-1]):
                seen.append(value)
            if value and 20 <= value < 100 and not shot:
                page.screenshot(path=str(ARTIFACTS / "24-models-installing.png"), full_page=True)
                shot = True
            if page.locator("#model-tiny_sr [data-gan-installed]").count():
                break
            time.sleep(0.1)
        page.wait_for_selector("#model-tiny_sr [data-gan-installed]")
        assert seen == sorted(seen) and len(set(seen)) >= 3, seen
        assert "done" in page.inner_text("[data-gan-model-task=tiny_sr]").lower()
        assert page.get_attribute("[data-gan-model-task=tiny_sr] [data-gan-task-bar]",
                                  "value") == "100"
        task = ModelTask.objects.get(model_id="tiny_sr")
        assert task.status == "succeeded" and task.done_bytes == len(payload), task.message
        assert registry.is_installed(registry.get("tiny_sr"))
        page.screenshot(path=str(ARTIFACTS / "25-models-installed.png"), full_page=True)
        page.locator("#model-tiny_sr").scroll_into_view_if_needed()
        save_doc_image(page, "models.png", "table.gan-models__table")
        assert not page.errors, page.errors
    finally:
        consumer.stop()


def test_review_filter_and_job_queue_position(browser_page, dummy_models, make_image,  # noqa: F811
                                              django_user_model):
    page = browser_page
    editor = editor_in_team(django_user_model)
    source = photo(make_image, "Cup of coffee")
    awaiting = jobs.submit_variant_job(user=editor, image=source, operation="stylize-7")
    write_pending_output(awaiting)
    kept = jobs.submit_variant_job(user=editor, image=source, operation="upscale-2x")
    write_pending_output(kept)
    jobs.keep_job(kept, editor)
    discarded = jobs.submit_variant_job(user=editor, image=source, operation="stylize-8")
    write_pending_output(discarded)
    jobs.discard_job(discarded, editor)
    now = timezone.now()
    for seconds in (85, 90, 95):
        GenerationJob.objects.create(user=editor, operation="upscale-4x", status="succeeded",
                                     started_at=now - timedelta(seconds=seconds + 300),
                                     finished_at=now - timedelta(seconds=300))
    GenerationJob.objects.create(user=None, operation="upscale-4x", status="running",
                                 created_at=now - timedelta(seconds=20),
                                 started_at=now - timedelta(seconds=20))
    queued = jobs.submit_variant_job(user=editor, image=source, operation="stylize-3")

    log_in(page, "editor")
    page.goto(page.base + "/admin/gan/jobs/")
    # the menu's count links to the filtered listing
    page.click("#wagtail-sidebar button:has-text('AI images')")
    # the count arrives after the page has loaded (gan-admin-global.js): no query on the page
    page.wait_for_selector("#wagtail-sidebar a:has-text('Results to review (1)')")
    assert "AI images (1)" in page.inner_text("#wagtail-sidebar [data-gan-menu=ai-images]")
    page.click("#wagtail-sidebar a:has-text('to review')")
    page.wait_for_url(re.compile(r"review=mine"))
    assert page.locator("select[name=review]").input_value() == "mine"
    page.screenshot(path=str(ARTIFACTS / "26-listing-awaiting-my-review.png"), full_page=True)
    rows = page.locator("table.listing tbody tr")
    assert rows.count() == 1, page.inner_text("table.listing")
    assert "awaiting review" in rows.first.inner_text().lower()
    assert "fauve style" in rows.first.inner_text()
    page.goto(page.base + "/admin/gan/jobs/")
    text = page.inner_text("table.listing tbody").lower()
    assert "kept" in text and "discarded" in text and "queued" in text
    page.screenshot(path=str(ARTIFACTS / "27-listing-review-states.png"), full_page=True)

    page.goto(f"{page.base}/admin/gan/jobs/{queued.pk}/")
    page.wait_for_selector("[data-gan-queue]:has-text('Position 2 in the queue')")
    assert "upscaled 4×, running" in page.inner_text("[data-gan-queue]")
    assert "Starts in about 1 min" in page.inner_text("[data-gan-queue]")
    page.screenshot(path=str(ARTIFACTS / "28-job-queue-position.png"), full_page=True)
    save_doc_image(page, "job.png", ".gan-job")
    assert not page.errors, page.errors


def test_generate_stays_visible_with_the_style_picker_open(browser_page, dummy_models,  # noqa: F811
                                                           make_image, django_user_model):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    django_user_model.objects.create_superuser("admin", "a@example.com", "pw")
    source = photo(make_image, "Cup of coffee")
    log_in(page, "admin")
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")
    page.select_option("select[name=operation]", "stylize")
    page.locator(".gan-style", has_text="fauve").click()
    button = page.locator("form.gan-variant-form button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / "29-generate-visible-1366x768.png"))
    box = button.bounding_box()
    assert box is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= 768, box
    assert 0 <= box["x"] and box["x"] + box["width"] <= 1366, box
    # nothing covers it (Wagtail's sticky Save bar)
    center = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('button') !== null && "
        "document.elementFromPoint(x, y).closest('form').classList.contains('gan-variant-form')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert center, "Generate is covered"
    assert not page.errors, page.errors
