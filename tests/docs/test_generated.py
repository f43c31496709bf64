"""The references are generated from the code: change the code, and the page changes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import gan_docs
import pytest
from gan_docs import api_ref, commands_ref, models_ref, operations_ref, settings_ref

from tests.utils import ROOT, subprocess_env
from wagtail_gan import conf, operations
from wagtail_gan.models_zoo import builtin, registry
from wagtail_gan.models_zoo.entries import ModelEntry, Source
from wagtail_gan.operations import docs as operations_docs

MARKERS = {"settings": "reference/settings.md", "models": "reference/models.md",
           "operations": "reference/operations.md", "commands": "reference/commands.md",
           "api": "reference/api.md"}


def test_every_reference_page_carries_its_marker(docs_dir):
    for name, page in MARKERS.items():
        assert f"<!-- gan-reference: {name} -->" in (docs_dir / page).read_text()
    assert set(MARKERS) == set(gan_docs.GENERATORS)
    with pytest.raises(gan_docs.UnknownReference, match="nope"):
        gan_docs.fill("<!-- gan-reference: nope -->\n")


def test_settings_page_is_conf_and_follows_a_changed_doc(docs_dir, monkeypatch):
    page = (docs_dir / MARKERS["settings"]).read_text()
    text = gan_docs.fill(page)
    for name, setting in conf.SETTINGS.items():
        assert f"## `{name}`" in text
        assert settings_ref.prose(setting.doc) in text
    assert "Default: `'auto'`" in text and "Default: `16_777_216`" in text  # DEVICE, 4096²

    changed = dict(conf.SETTINGS)
    changed["DEVICE"] = conf.Setting("auto", "Where *the docs test* says models run.")
    changed["NEW_KEY"] = conf.Setting(7, "A setting a test adds.")
    monkeypatch.setattr(conf, "SETTINGS", changed)
    new = gan_docs.fill(page)
    assert "Where *the docs test* says models run." in new
    assert settings_ref.prose(conf.SETTINGS["MODEL_CACHE_MB"].doc) in new
    assert "## `NEW_KEY`\n\nDefault: `7`\n\nA setting a test adds." in new
    assert "{ref}`NEW_KEY <setting-new-key>`" in new


def test_defaults_are_the_declared_defaults():
    assert conf.DEFAULTS == {name: s.default for name, s in conf.SETTINGS.items()}
    assert all(s.doc.strip() for s in conf.SETTINGS.values()), "every setting says what it does"


def test_operations_page_is_the_registry_and_follows_a_new_operation(docs_dir):
    text = gan_docs.fill((docs_dir / MARKERS["operations"]).read_text())
    with_defaults = operations_ref.render()
    assert with_defaults in text
    for op in operations.all_operations():
        assert f"## {op.label} (`{op.name}`)" in text
        assert ", ".join(f"`{form}`" for form in op.grammar()) in text
    assert "`stylize-zzz` is refused with: *" in text

    class Docsharpen(operations.StrengthOperation):
        name = "docsharpen"
        label = "Sharpen for the docs"
        description = "Sharpen (an operation a test registers)."

    operations.register(Docsharpen())
    try:
        new = operations_ref.render()
    finally:
        operations.unregister("docsharpen")
    assert "## Sharpen for the docs (`docsharpen`)" in new
    assert "`docsharpen`, `docsharpen-<1..100>`" in new
    assert ("| `docsharpen[-<strength 1..100>]` | Sharpen (an operation a test registers). | yes "
            "| yes | the unmodified pixels | — |") in new
    assert "docsharpen" not in operations_ref.render()


def test_operations_table_is_the_one_readme_carries(tmp_path, settings):
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    assert operations_ref.render().startswith(operations_docs.table())


def test_models_page_is_the_registry_and_follows_a_new_entry(docs_dir, monkeypatch):
    text = gan_docs.fill((docs_dir / MARKERS["models"]).read_text())
    for entry in builtin.BUILTIN:
        assert f"## `{entry.id}`" in text
        assert models_ref.cell(entry.licence) in text
    assert "| 1 | " not in text
    span = text.split("## `spanx4_ch48`", 1)[1].split("\n## ", 1)[0]
    assert "**Default model for**: `upscale-4x`" in span
    assert "**installs offline**: yes" in span and "**Speed**: fast" in span
    sd = text.split("## `sd_turbo`", 1)[1].split("\n## ", 1)[0]
    assert "**installs offline**: no: downloads" in sd and "a revision the site pins" in sd

    extra = ModelEntry(id="docs_x8", task="upscale", family="spandrel", scale=8,
                       licence="CC0 (a test entry)", description="An eightfold test model.",
                       sources=(Source("url", url="https://example.org/x8.pth",
                                       sha256="ab" * 32, size=2_500_000),))
    monkeypatch.setattr(builtin, "BUILTIN", builtin.BUILTIN + (extra,))
    monkeypatch.setattr(registry, "_entries_cache", None)
    new = models_ref.render()
    assert "## `docs_x8`\n\nAn eightfold test model." in new
    assert f"`https://example.org/x8.pth`, sha256 `{'ab' * 32}`" in new
    assert "| 2.5 MB | no: downloads | — | CC0 (a test entry) |" in new


def test_commands_page_is_each_commands_own_help(docs_dir):
    text = gan_docs.fill((docs_dir / MARKERS["commands"]).read_text())
    names = commands_ref.command_names()
    assert {"gan_models", "gan_run", "gan_operations", "gan_verify"} <= set(names)
    for name in names:
        assert f"$ python manage.py {name} --help\n{commands_ref.help_text(name)}\n```" in text
    # The text is what the command prints (a real process, same width).
    env = {**subprocess_env(), "COLUMNS": commands_ref.WIDTH}
    printed = subprocess.run(
        [sys.executable, "sandbox/manage.py", "gan_operations", "--help"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=True).stdout.rstrip()
    assert printed == commands_ref.help_text("gan_operations")


def test_api_page_is_the_served_schema(client, docs_dir):
    served = json.loads(client.get("/api/gan/schema/?format=json").content)
    assert api_ref.schema() == served
    text = gan_docs.fill((docs_dir / MARKERS["api"]).read_text())
    for method, path, op in api_ref.endpoints(served):
        assert f"#### `{method} {path}`" in text
        assert f"({api_ref.label('api', op['operationId'])})=" in text
        section = text.split(f"#### `{method} {path}`")[1].split("\n#", 1)[0]
        for status in op["responses"]:
            assert re.search(rf"^\| `{status}` \|", section, re.M), (method, path, status)
    for name in served["components"]["schemas"]:
        assert f"### `{name}`" in text
    assert "| `operation` | string |" in text  # VariantRequest's fields

    served["paths"]["/api/gan/docs-test/"] = {"get": {
        "operationId": "docs_test", "summary": "A path a test adds", "tags": ["docs"],
        "responses": {"200": {"description": "Fine."}}}}
    new = api_ref.render(served)
    assert "#### `GET /api/gan/docs-test/`\n\n**A path a test adds**" in new
    assert "| `200` | Fine. | — |" in new


def test_generated_text_never_carries_raw_html():
    assert api_ref.prose('a "<base64 PNG>" and `<kept>`') == 'a "&lt;base64 PNG&gt;" and `<kept>`'
    assert api_ref.prose("stylize-<style>[-<style>...]") == (
        "stylize-&lt;style&gt;[-&lt;style&gt;...]")
    assert api_ref.cell("x | <y>") == "x \\| &lt;y&gt;"
