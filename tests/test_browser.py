"""The real admin in a real browser with a real worker.

Playwright (Python) drives Debian's Chromium (``apt-get install -y chromium``; never a
downloaded browser) against pytest-django's live server, with a ``run_huey`` consumer
subprocess running the tiny local models (tests/models_zoo/fixtures.py). Screenshots go to
``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
import time

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.conftest import IN_CI
from tests.utils import ROOT, HueyConsumer, ensure_wagtail_roots
from wagtail_gan.models import GenerationJob, Variant

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None and not IN_CI,
                       reason="chromium is not installed (apt-get install -y chromium)"),
]


@pytest.fixture
def worker(transactional_db, tmp_path, gan_tiny_models):
    """A real consumer whose registry points at the tiny local models."""
    consumer = HueyConsumer(
        log_path=tmp_path / "consumer.log",
        extra_env={"GAN_TEST_EXTRA_MODELS": json.dumps(gan_tiny_models["settings"])},
    )
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop()


@pytest.fixture
def browser_page(settings, live_server, monkeypatch):
    if CHROMIUM is None:  # only reached with CI=true: a missing browser fails the run there
        pytest.fail("CI=true but chromium is not installed (.ci/run installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls the test makes
    # between browser steps are ordinary synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.ROOT_URLCONF = "tests.browser_urls"
    ARTIFACTS.mkdir(exist_ok=True)
    profile = tempfile.mkdtemp(prefix="gan-chromium-")
    errors: list[str] = []
    with playwright_api.sync_playwright() as p:
        # a fresh profile per test (launch_persistent_context passes it as --user-data-dir)
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.errors = errors
            page.base = live_server.url
            yield page
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def photo(make_image, title, collection=None):
    """A real photo (scikit-image's astronaut, public domain), small for CPU speed."""
    skimage_data = pytest.importorskip("skimage.data")
    ensure_wagtail_roots()
    pil = PILImage.fromarray(skimage_data.astronaut()).resize((160, 160), PILImage.LANCZOS)
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=90)
    image = get_image_model()(title=title, file=ImageFile(buf, name="astronaut.jpg"))
    if collection is not None:
        image.collection = collection
    image.save()
    return image


def log_in(page, username, password="pw"):
    page.goto(page.base + "/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def watch_progress(page, timeout=120.0) -> list[int]:
    """Read the progress label until the review appears; returns the values seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        label = page.locator(".gan-progress__label")
        if label.count():
            try:
                text = label.inner_text(timeout=1000)
            except Exception:  # the page is reloading
                text = ""
            m = re.search(r"(\d+)\s*%", text)
            if m and (not seen or int(m.group(1)) != seen[-1]):
                seen.append(int(m.group(1)))
        if page.locator("[data-gan-keep]").count() or page.locator("[data-gan-job-error]").count():
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the job did not finish; progress seen: {seen}")


def test_upscale_variant_keep_and_provenance(browser_page, worker, make_image, django_user_model):
    page = browser_page
    django_user_model.objects.create_superuser("editor", "e@example.com", "pw")
    source = photo(make_image, "Astronaut")
    log_in(page, "editor")

    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")
    # the visual style picker appears for "Stylize: built-in style"
    page.select_option("select[name=operation]", "stylize")
    page.click(".gan-style:nth-child(8)")
    assert page.is_checked("input[name=style][value='7']")
    # swatches load lazily: fetch every one the picker shows
    ok = page.evaluate("Promise.all([...document.querySelectorAll('.gan-style__img')]"
                       ".map(img => fetch(img.src).then(r => r.ok)))")
    assert ok == [True] * 26
    page.screenshot(path=str(ARTIFACTS / "00-style-picker.png"), full_page=True)
    page.select_option("select[name=operation]", "upscale-2x")
    assert page.locator("[data-gan-variant-form-target=styles]").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "01-edit-page-generate-variant.png"), full_page=True)
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/gan/jobs/\d+/$"))

    seen = watch_progress(page)
    assert not page.locator("[data-gan-job-error]").count(), page.content()[-3000:]
    page.wait_for_selector("text=100 %")
    assert seen and seen[-1] == 100 and seen == sorted(seen), seen
    page.wait_for_function("document.querySelector('.gan-compare__after').naturalWidth > 0")
    assert page.evaluate("document.querySelector('.gan-compare__after').naturalWidth") == 320
    page.fill(".gan-compare__range", "30")
    page.screenshot(path=str(ARTIFACTS / "02-job-review-before-after.png"), full_page=True)

    page.click("[data-gan-keep]")
    page.wait_for_url(re.compile(r"/admin/images/\d+/$"))
    page.wait_for_selector("[data-gan-variant-of]")
    banner = page.inner_text("[data-gan-variant-of]")
    assert "Variant of" in banner and "Astronaut" in banner and "upscale-2x" in banner
    assert "realesrgan_x2plus" in banner
    page.screenshot(path=str(ARTIFACTS / "03-kept-variant-provenance.png"), full_page=True)

    variant = Variant.objects.get()
    assert (variant.image.width, variant.image.height) == (320, 320)
    assert variant.source_image == source
    assert GenerationJob.objects.get().status == "succeeded"

    page.goto(page.base + "/admin/images/")
    page.wait_for_selector("text=Astronaut — upscaled 2×")
    page.screenshot(path=str(ARTIFACTS / "04-library-listing.png"), full_page=True)
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    assert "Astronaut — upscaled 2×" in page.inner_text("#gan-variants-heading + ul")
    page.screenshot(path=str(ARTIFACTS / "05-source-with-variants.png"), full_page=True)

    page.goto(page.base + "/admin/gan/jobs/?status=succeeded")
    row = page.locator("table tbody tr").first
    assert "upscale-2x" in row.inner_text() and "Astronaut" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "08-ai-jobs-listing.png"), full_page=True)
    page.goto(page.base + "/admin/gan/generate/")
    page.wait_for_selector("textarea[name=prompt]")
    page.screenshot(path=str(ARTIFACTS / "09-generate-new-image.png"), full_page=True)
    assert not page.errors, page.errors


def test_instruction_edit_through_the_tiny_pipeline(browser_page, worker, make_image,
                                                    django_user_model):
    page = browser_page
    django_user_model.objects.create_superuser("editor", "e@example.com", "pw")
    source = photo(make_image, "Astronaut")
    log_in(page, "editor")
    page.goto(f"{page.base}/admin/images/{source.pk}/")
    page.click("summary:has-text('Generate variant')")

    # a clear request is routed to a named operation and pre-selected
    page.fill("textarea[name=instruction]", "add some snow")
    page.wait_for_selector(".gan-interpretation:has-text('Interpreted as: winterize')")
    assert page.input_value("select[name=operation]") == "winterize"
    # anything else is a free-form edit with the instruction as prompt (shown escaped)
    page.fill("textarea[name=instruction]", "make the sky purple <b>now</b>")
    page.wait_for_selector(".gan-interpretation:has-text('free-form edit')")
    assert page.input_value("select[name=operation]") == "edit"
    page.screenshot(path=str(ARTIFACTS / "06-instruction-interpreted.png"), full_page=True)
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/gan/jobs/\d+/$"))

    seen = watch_progress(page)
    assert not page.locator("[data-gan-job-error]").count(), page.content()[-3000:]
    assert seen[-1] == 100
    assert page.locator(".gan-job__instruction").inner_text() == "make the sky purple <b>now</b>"
    page.screenshot(path=str(ARTIFACTS / "07-instruction-edit-review.png"), full_page=True)
    job = GenerationJob.objects.get()
    assert job.operation == "edit" and job.model_id and job.seed is not None

    page.click("[data-gan-discard]")
    page.wait_for_url(re.compile(rf"/admin/images/{source.pk}/$"))
    job.refresh_from_db()
    assert job.outputs == [] and job.result_image is None

    # "Style of another image" through Wagtail's image chooser
    style = photo(make_image, "Brushwork")
    page.click("summary:has-text('Generate variant')")
    page.select_option("select[name=operation]", "style-image")
    page.click("[data-gan-variant-form-target=styleImage] button:has-text('Choose an image')")
    page.click(".modal a:has-text('Brushwork')")
    page.wait_for_selector(".modal", state="hidden")
    assert page.input_value("input[name=style_image]") == str(style.pk)
    page.screenshot(path=str(ARTIFACTS / "10-style-of-another-image.png"), full_page=True)
    page.click("form.gan-variant-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/gan/jobs/\d+/$"))
    watch_progress(page)
    job = GenerationJob.objects.latest("pk")
    assert job.operation == f"stylize-image{style.pk}" and job.status == "succeeded", job.error
    assert not page.errors, page.errors


def test_bulk_generate_form_shows_style_and_painter_only_when_needed(browser_page, make_image,
                                                                      django_user_model,
                                                                      dummy_models):
    """The image listing's bulk "Generate variant" form reuses the panel's controller: Style,
    Painter and the instruction (only the free-form edit reads it) appear only for their
    operation. The dummy models stand in for installed ones (operations without a model are
    not offered)."""
    page = browser_page
    django_user_model.objects.create_superuser("editor", "e@example.com", "pw")
    ensure_wagtail_roots()
    first, second = make_image(title="First"), make_image(title="Second")
    log_in(page, "editor")

    page.goto(f"{page.base}/admin/bulk/wagtailimages/image/gan_generate_variant/"
              f"?id={first.pk}&id={second.pk}&next=/admin/images/")
    style, painter = page.locator("select[name=style]"), page.locator("select[name=painter]")
    instruction = page.locator("textarea[name=instruction]")
    assert page.input_value("select[name=operation]") == "upscale-2x"
    assert not style.is_visible() and not painter.is_visible() and not instruction.is_visible()
    page.select_option("select[name=operation]", "stylize")
    assert style.is_visible() and not painter.is_visible()
    page.select_option("select[name=operation]", "painter")
    assert painter.is_visible() and not style.is_visible()
    page.select_option("select[name=operation]", "winterize")
    assert not style.is_visible() and not painter.is_visible()
    # the free-form edit shows the instruction; typing does not try to interpret it (no
    # interpret URL here)
    page.select_option("select[name=operation]", "edit")
    assert instruction.is_visible()
    page.fill("textarea[name=instruction]", "make it snowy")
    page.select_option("select[name=operation]", "stylize")
    assert not instruction.is_visible()
    page.select_option("select[name=style]", "3")
    page.screenshot(path=str(ARTIFACTS / "11-bulk-generate-form.png"), full_page=True)
    page.click("button[type=submit]:has-text('Generate')")
    page.wait_for_url(re.compile(r"/admin/images/"))
    assert sorted(GenerationJob.objects.values_list("source_image_id", "operation")) == [
        (first.pk, "stylize-3"), (second.pk, "stylize-3")]
    assert not page.errors, page.errors
