"""gan_run with the bad-input table from issue #3 (the command runs models_zoo.engine.run)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from tests.utils import ROOT, subprocess_env

pytestmark = pytest.mark.ml


def _photo(w=40, h=32, mode="RGB"):
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 6 % 256, y * 7 % 256, (x + y) * 3 % 256], -1).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    return img.convert(mode) if mode != "RGB" else img


def _bomb_png(path, w=30000, h=30000):
    """A valid PNG header claiming 900 Mpx (only the header is needed to refuse it)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    comp = zlib.compressobj()
    row = b"\x00" + b"\x00" * w
    data = b"".join(comp.compress(row) for _ in range(64)) + comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data)
                     + chunk(b"IEND", b""))
    return path


def make_inputs(tmp_path):
    files = {}
    good = io.BytesIO()
    _photo(64, 48).save(good, "JPEG")
    files["truncated"] = tmp_path / "truncated.jpg"
    files["truncated"].write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    files["zero"] = tmp_path / "zero.png"
    files["zero"].write_bytes(b"")
    files["text"] = tmp_path / "notes.png"
    files["text"].write_text("this is not an image\n" * 20)
    files["bomb"] = _bomb_png(tmp_path / "bomb.png")
    files["svg"] = tmp_path / "drawing.svg"
    files["svg"].write_text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
                            'width="10" height="10"><rect width="10" height="10"/></svg>')
    files["cmyk"] = tmp_path / "cmyk.jpg"
    _photo().convert("CMYK").save(files["cmyk"], "JPEG")
    files["16bit"] = tmp_path / "deep.png"
    Image.fromarray((np.linspace(0, 65535, 40 * 32).reshape(32, 40)).astype(np.uint16)).save(
        files["16bit"])
    files["palette"] = tmp_path / "palette.png"
    pal = _photo().convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    pal.save(files["palette"], transparency=0)
    files["gif"] = tmp_path / "anim.gif"
    frames = [_photo().convert("P"), _photo().rotate(90).convert("P")]
    frames[0].save(files["gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    files["1x1"] = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), "red").save(files["1x1"])
    files["1x3000"] = tmp_path / "line.png"
    Image.new("RGB", (1, 3000), "blue").save(files["1x3000"])
    return files


ERRORS = {
    "truncated": "cannot decode",
    "zero": "empty file",
    "text": "not an image",
    "bomb": "decompression bomb",
    "svg": "SVG is a vector format",
}
WORKS = {  # name -> expected output mode for upscale-4x to PNG
    "cmyk": "RGB",
    "16bit": "L",
    "palette": "RGBA",
    "gif": "RGB",
    "1x1": "RGB",
    "1x3000": "RGB",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_gan_run_bad_inputs_are_one_line_errors(name, tmp_path, gan_tiny_models):
    files = make_inputs(tmp_path)
    out = tmp_path / "out.png"
    with pytest.raises(CommandError) as excinfo:
        call_command("gan_run", "--spec", "upscale-4x", str(files[name]), str(out))
    message = str(excinfo.value)
    assert ERRORS[name] in message and "\n" not in message
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(WORKS))
def test_gan_run_odd_but_valid_inputs(name, tmp_path, gan_tiny_models):
    files = make_inputs(tmp_path)
    src = Image.open(files[name])
    out = tmp_path / "out.png"
    call_command("gan_run", "--spec", "upscale-4x", str(files[name]), str(out),
                 stdout=io.StringIO(), stderr=io.StringIO())
    result = Image.open(out)
    assert result.size == (src.width * 4, src.height * 4)
    assert result.mode == WORKS[name]


def test_gan_run_bad_spec_and_output(tmp_path, gan_tiny_models):
    src = tmp_path / "in.png"
    _photo().save(src)
    with pytest.raises(CommandError, match="Unknown operation 'sharpen'"):
        call_command("gan_run", "--spec", "sharpen", str(src), str(tmp_path / "o.png"))
    with pytest.raises(CommandError, match="Unknown style"):
        call_command("gan_run", "--spec", "stylize-99", str(src), str(tmp_path / "o.png"))
    with pytest.raises(CommandError, match="unknown output format"):
        call_command("gan_run", "--spec", "stylize-1", str(src), str(tmp_path / "o.xyz"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("gan_run", "--spec", "stylize-1", str(tmp_path / "missing.png"),
                     str(tmp_path / "o.png"))
    with pytest.raises(CommandError, match="needs a prompt"):
        call_command("gan_run", "--spec", "edit", str(src), str(tmp_path / "o.png"))


def test_gan_run_writes_jpeg_from_rgba_and_edit(tmp_path, gan_tiny_models):
    files = make_inputs(tmp_path)
    out = tmp_path / "flat.jpg"
    stdout = io.StringIO()
    call_command("gan_run", "--spec", "stylize-4", str(files["palette"]), str(out), stdout=stdout)
    assert Image.open(out).mode == "RGB" and "styletransfer_multistyle26" in stdout.getvalue()
    call_command("gan_run", "--spec", "edit", "--prompt", "add snow", "--seed", "7",
                 str(files["cmyk"]), str(tmp_path / "edit.png"), stdout=stdout)
    assert "seed 7" in stdout.getvalue()


@pytest.mark.slow
def test_gan_run_subprocess_never_prints_a_traceback(tmp_path):
    files = make_inputs(tmp_path)
    for name in ("text", "truncated"):
        proc = subprocess.run(
            [sys.executable, "-m", "django", "gan_run", "--spec", "stylize-1",
             str(files[name]), str(tmp_path / "o.png")],
            cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
