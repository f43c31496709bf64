"""The editor's pages in a real browser (see ``test_browser.py`` for the set-up) at a laptop's
1366×768 and a phone's 390×844: the image edit page's panel, the AI jobs listing (image and
video jobs, bulk Keep) and the video job page (player). Every action can be scrolled to and
clicked (inside the viewport, not clipped, not covered), nothing scrolls sideways, the image
edit page has unique ids, the clip button scrolls with the page, and axe-core finds no serious
or critical problem in our markup.

No worker runs: jobs are rows in the states a worker leaves them in (outputs written to the
pending storage, a finished video in the media library).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.a11y import LAPTOP, PHONE, SIDEWAYS_JS, UNREACHABLE_JS, assert_no_axe_violations
from tests.gan_admin_fixtures import grant, write_pending_output
from tests.test_browser import (
    ARTIFACTS,
    browser_page,  # noqa: F401 - the fixture
    log_in,
    photo,
    pytestmark,  # noqa: F401 - browser, slow, transactional db
)
from tests.utils import ensure_wagtail_roots
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob, Variant, VideoJob

VIEWPORTS = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366x768", "390x844"])
DUPLICATE_IDS_JS = """() => {
  const seen = {}, dup = [];
  for (const el of document.querySelectorAll('[id]')) {
    if (seen[el.id]) dup.push(el.id); seen[el.id] = true;
  }
  return dup;
}"""


@pytest.fixture
def editor_world(transactional_db, django_user_model, make_image):
    root = ensure_wagtail_roots()
    team = root.add_child(name="Team")
    editors = Group.objects.create(name="GAN editors")
    editors.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                   codename="access_admin"))
    grant(editors, team, "add_image", "change_image", "choose_image")
    editor = django_user_model.objects.create_user("editor", "e@example.com", "pw")
    editor.groups.add(editors)
    image = photo(make_image, "Astronaut", collection=team)
    return editor, image, team


def check_reachable(page, selector, name, label, minimum=1):
    assert page.locator(selector).count() >= minimum, (label, selector)
    assert page.evaluate(UNREACHABLE_JS, selector) == [], label
    width, window = page.evaluate(SIDEWAYS_JS)
    assert width <= window, f"{label}: the page scrolls sideways ({width} > {window})"
    page.screenshot(path=str(ARTIFACTS / f"50-{name}.png"))


@VIEWPORTS
def test_image_panel_reachable_unique_ids_and_accessible(browser_page, editor_world,  # noqa: F811
                                                         make_image, viewport):
    page = browser_page
    editor, image, team = editor_world
    variant = make_image(title="Astronaut, winter", collection=team)
    Variant.objects.create(image=variant, source_image=image, operation="winterize",
                           user=editor)
    page.set_viewport_size(viewport)
    name = f"{viewport['width']}x{viewport['height']}"
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/images/{image.pk}/")
    assert page.evaluate(DUPLICATE_IDS_JS) == []
    # the panel's ids are its own (Wagtail's "Collection" label cannot point at the panel)
    assert page.locator(".gan-image-panel #id_collection").count() == 0
    assert page.locator(".gan-image-panel #gan-collection").count() == 1

    # the clip button is below the title, in the page's flow: it scrolls away with the page
    clip = page.locator("[data-gan-page-actions] a")
    title = page.locator("h1").first
    assert clip.bounding_box()["y"] >= title.bounding_box()["y"] + title.bounding_box()["height"]
    before = clip.bounding_box()["y"]
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(200)
    scrolled = page.evaluate("window.scrollY")
    if scrolled:
        assert clip.bounding_box()["y"] == pytest.approx(before - scrolled, abs=2)

    page.click("summary:has-text('Generate variant')")
    page.select_option("select[name=operation]", "stylize")
    select = page.locator("select[name=operation]")
    box = select.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    check_reachable(page, ".gan-image-panel a, .gan-image-panel button, "
                          ".gan-image-panel select, .gan-image-panel textarea, "
                          ".gan-image-panel summary", f"panel-{name}", f"panel at {name}", 5)
    assert_no_axe_violations(page, label=f"image edit page at {name}", ignore=[
        # Wagtail's own Tags field (jQuery tag-it's text input), not our markup
        ("label", ".ui-autocomplete-input"),
    ])
    page.select_option("select[name=operation]", "erase")
    assert page.locator("[data-controller=gan-erase]").is_visible()
    assert not page.errors, page.errors


def make_jobs(editor, image, team):
    awaiting = jobs.submit_variant_job(user=editor, image=image, operation="upscale-2x")
    write_pending_output(awaiting)
    jobs.submit_variant_job(user=editor, image=image, operation="winterize")  # queued
    failed = jobs.submit_variant_job(user=editor, image=image, operation="stylize-3")
    GenerationJob.objects.filter(pk=failed.pk).update(status="failed", error="Out of memory.")
    earlier = timezone.now() - timedelta(minutes=3)
    video = VideoJob.objects.create(
        kind="interpolate", user=editor, source_title="Harbour film", source_media_id=1,
        params={"factor": 2, "mode": "slowmo"}, engine="blend", created_at=earlier)
    return awaiting, video


@VIEWPORTS
def test_jobs_listing_reachable_bulk_keep_and_accessible(browser_page, editor_world,  # noqa: F811
                                                         dummy_models, viewport):
    page = browser_page
    editor, image, team = editor_world
    awaiting, video = make_jobs(editor, image, team)
    page.set_viewport_size(viewport)
    name = f"{viewport['width']}x{viewport['height']}"
    log_in(page, "editor")
    page.goto(page.base + "/admin/gan/jobs/")
    rows = page.locator("#listing-results table tbody tr")
    assert rows.count() == 4
    assert "Video: 2x slow motion" in page.locator("#listing-results table").inner_text()
    when = page.locator(f"tr:has(a[href='/admin/gan/video/jobs/{video.pk}/']) time")
    assert when.inner_text().strip().replace("\xa0", " ") == "3 minutes ago"
    check_reachable(page, "#listing-results a, #listing-results button, "
                          "#listing-results input[type=checkbox]",
                    f"jobs-{name}", f"jobs listing at {name}", 8)
    assert_no_axe_violations(page, label=f"jobs listing at {name}")

    # the Type filter
    page.goto(page.base + "/admin/gan/jobs/?type=video")
    assert page.locator("#listing-results table tbody tr").count() == 1

    # bulk Keep: tick the result awaiting review, Keep in Wagtail's footer, confirm
    page.goto(page.base + "/admin/gan/jobs/")
    page.locator(f"input[data-object-id='{awaiting.pk}']").check()
    keep = page.locator("[data-bulk-action-footer] a:has-text('Keep')")
    keep.wait_for()
    page.wait_for_timeout(600)  # Wagtail's footer slides in
    assert page.evaluate(UNREACHABLE_JS, "[data-bulk-action-footer] a") == []
    keep.click()
    page.wait_for_url(re.compile(r"/admin/bulk/wagtail_gan/generationjob/gan_keep/"))
    assert "Keep this result?" in page.inner_text("main")
    assert_no_axe_violations(page, label=f"bulk keep confirmation at {name}")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/gan/jobs/"))
    awaiting.refresh_from_db()
    assert awaiting.result_image_id is not None
    assert not page.errors, page.errors


# Progress as coarse models report it (tiles: long flat stretches, then jumps, a last jump to
# 99 %), one poll a second: the ETA the job page shows never rises by more than max(2 s, 10 %)
# and never falls by more than half at once.
COARSE = [1, 5, 5, 5, 20, 20, 20, 20, 20, 22, 40, 40, 40, 41, 60, 60, 61, 80, 80, 81, 95, 99]
ETA_JS = """(seq) => {
  const e = new window.ganEtaSmoother();
  return seq.map((pct, t) => e.update(pct, t));
}"""


def test_job_page_eta_is_smoothed(browser_page, editor_world, dummy_models):  # noqa: F811
    page = browser_page
    editor, image, team = editor_world
    job = jobs.submit_variant_job(user=editor, image=image, operation="upscale-2x")
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/gan/jobs/{job.pk}/")
    shown = page.evaluate(ETA_JS, COARSE)
    values = [v for v in shown if v is not None]
    assert len(values) >= 15, shown
    for before, after in zip(values, values[1:], strict=False):
        assert after <= before + max(2, 0.1 * before), shown
        assert after >= before * 0.5 - 1.5, shown
    assert values[-1] <= 2, shown
    assert not page.errors, page.errors


@VIEWPORTS
def test_video_job_page_player_reachable_and_accessible(browser_page, editor_world,  # noqa: F811
                                                        tmp_path, viewport):
    pytest.importorskip("wagtailmedia")
    from tests.video.helpers import (  # noqa: PLC0415 - needs PyAV
        add_media,
        grant_media,
        write_video,
    )

    page = browser_page
    editor, image, team = editor_world
    grant_media(Group.objects.get(name="GAN editors"), team, "add_media", "change_media")
    clip = add_media(write_video(tmp_path / "clip.mp4", frames=12, fps=12), title="Clip",
                     collection=team, duration=1.0, width=64, height=48)
    done = VideoJob.objects.create(
        kind="interpolate", user=editor, source_title="Harbour film", source_media_id=clip.pk,
        params={"factor": 2, "mode": "fps"}, engine="blend", status="succeeded", progress=100,
        frames_done=24, frames_total=24, result_media_id=clip.pk,
        started_at=timezone.now() - timedelta(seconds=5), finished_at=timezone.now())
    queued = VideoJob.objects.create(
        kind="stills", user=editor, source_images=[{"id": image.pk, "title": image.title}] * 2,
        params={"seconds": 2, "fps": 12, "hold": 0.5}, engine="blend")
    page.set_viewport_size(viewport)
    name = f"{viewport['width']}x{viewport['height']}"
    log_in(page, "editor")

    # wagtailmedia's video edit page: "Interpolate (AI)" below the title, in the page's flow
    page.goto(f"{page.base}/admin/media/edit/{clip.pk}/")
    action = page.locator(".gan-video-action")
    action.wait_for()
    title = page.locator("h1").first
    assert action.bounding_box()["y"] >= title.bounding_box()["y"] + title.bounding_box()["height"]
    assert page.evaluate(UNREACHABLE_JS, ".gan-video-action") == []

    page.goto(f"{page.base}/admin/gan/video/jobs/{done.pk}/")
    player = page.locator("video[data-gan-player]")
    assert player.is_visible()
    assert page.evaluate("document.querySelector('video').readyState") >= 0
    text = page.inner_text("main")
    assert "The new video is in the media library." in text and "24 of 24 frames" in text
    assert "{'factor'" not in text and "Smoother: more frames per second" in text
    check_reachable(page, "main a, main button, main video, main summary",
                    f"video-job-{name}", f"finished video job at {name}", 3)
    assert_no_axe_violations(page, label=f"video job page at {name}")

    page.goto(f"{page.base}/admin/gan/video/jobs/{queued.pk}/")
    assert "The video job is queued" in page.inner_text("main")
    check_reachable(page, "main a, main button", f"video-job-queued-{name}",
                    f"queued video job at {name}", 2)
    assert_no_axe_violations(page, label=f"queued video job at {name}")
    page.click("button:has-text('Cancel this job')")
    page.wait_for_url(re.compile(rf"/admin/gan/video/jobs/{queued.pk}/$"))
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert "The job was cancelled" in page.inner_text("main")
    assert not page.errors, page.errors
