"""Weight sources against a local HTTP server on 127.0.0.1 (never the internet), the registry
(site entries, dropped-in files, id validation), and the ncnn -> safetensors conversion."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import stat
import threading

import pytest

from wagtail_gan.models_zoo import registry

pytestmark = pytest.mark.ml

PAYLOAD = os.urandom(300_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    state: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        st = self.server.state
        st["requests"].append(self.headers.get("Range"))
        body = st["body"]
        start = 0
        rng = self.headers.get("Range")
        if rng and st.get("ranges", True):
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        chunk = body[start:]
        if st.get("cut_first") and len(st["requests"]) == 1:
            self.wfile.write(chunk[: len(chunk) // 3])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(chunk)


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.state = {"body": PAYLOAD, "requests": []}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/weights.pth"
    server.shutdown()
    server.server_close()


def test_download_good_hash(http_server, tmp_path):
    from wagtail_gan.models_zoo import sources

    _, url = http_server
    out = io.StringIO()
    digest = sources.download(url, tmp_path / "w.pth", sha256=SHA, stream=out)
    assert digest == SHA
    assert (tmp_path / "w.pth").read_bytes() == PAYLOAD
    assert not (tmp_path / "w.pth.part").exists()
    assert stat.S_IMODE((tmp_path / "w.pth").stat().st_mode) == 0o644
    assert "100.0%" in out.getvalue()  # progress bar


def test_download_bad_hash_is_refused(http_server, tmp_path):
    from wagtail_gan.models_zoo import sources

    _, url = http_server
    (tmp_path / "w.pth").write_bytes(b"previous good file")
    with pytest.raises(sources.HashMismatch, match="sha256 mismatch"):
        sources.download(url, tmp_path / "w.pth", sha256="0" * 64)
    assert (tmp_path / "w.pth").read_bytes() == b"previous good file"  # untouched
    assert not (tmp_path / "w.pth.part").exists()


def test_interrupted_download_resumes_with_range(http_server, tmp_path):
    from wagtail_gan.models_zoo import sources

    server, url = http_server
    server.state["cut_first"] = True
    digest = sources.download(url, tmp_path / "w.pth", sha256=SHA)
    assert digest == SHA
    assert server.state["requests"][0] is None
    assert server.state["requests"][1].startswith("bytes=") and server.state["requests"][1] != "bytes=0-"


def test_interrupted_download_without_range_support_restarts(http_server, tmp_path):
    from wagtail_gan.models_zoo import sources

    server, url = http_server
    server.state.update(cut_first=True, ranges=False)
    assert sources.download(url, tmp_path / "w.pth", sha256=SHA) == SHA
    assert (tmp_path / "w.pth").read_bytes() == PAYLOAD


def test_trust_on_first_use_then_verify(http_server, settings, tmp_path):
    from wagtail_gan.models_zoo import sources

    server, url = http_server
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu",
                            "MODELS": {"cyclegan_style_monet": {"url": url}}}
    entry = registry.get("cyclegan_style_monet")
    info = sources.install(entry)
    assert info["tofu"] is True and info["sha256"] == SHA
    assert registry.read_manifest(entry.id)["sha256"] == SHA
    assert sources.verify(entry) == (True, "matches the sha256 recorded on first use")
    # The file changes on disk: verify says so.
    path = registry.weights_path(entry)
    path.write_bytes(PAYLOAD[:-1] + bytes([PAYLOAD[-1] ^ 1]))  # (random payload may end in "x")
    ok, message = sources.verify(entry)
    assert not ok and "does not match" in message
    # The server now serves something else: a reinstall is refused (pinned on first use).
    path.unlink()
    server.state["body"] = b"tampered" + PAYLOAD
    with pytest.raises(sources.SourceError, match="sha256 mismatch"):
        sources.install(entry)


def test_hf_source_needs_a_pinned_commit(settings, tmp_path):
    from wagtail_gan.models_zoo import sources

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    entry = registry.get("instruct_pix2pix")
    with pytest.raises(sources.SourceError, match="no pinned revision"):
        sources.install_from_hf(entry, entry.sources[0])
    with pytest.raises(sources.SourceError, match="40-hex"):
        sources.install_from_hf(entry, registry.Source("hf", repo="a/b", revision="main"))


# -- ncnn conversion (real weights) -------------------------------------------------------


def test_ncnn_layout_parses_as_rrdb():
    from wagtail_gan.models_zoo import sources

    src = registry.get("realesrgan_x4plus").sources[0]
    param = registry.package_file(src, src.files[0])
    convs = sources.parse_ncnn_convs(param)
    assert len(convs) == 351
    assert convs[0] == {"out": 64, "k": 3, "bias": 1, "size": 1728}
    assert convs[-1]["out"] == 3


@pytest.mark.slow
def test_ncnn_conversion_matches_ncnn_runtime(settings, tmp_path):
    """Offline install of Real-ESRGAN x4plus: converted weights, 0644, checked against the
    ncnn runtime (max abs diff <= 1e-3), then usable for upscale-4x with real weights."""
    import numpy as np

    from wagtail_gan.models_zoo import sources
    from wagtail_gan.models_zoo.engine import run_operation

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1}
    entry = registry.get("realesrgan_x4plus")
    info = sources.install(entry, offline=True)
    assert info["kind"] == "ncnn" and info["verified_max_abs_diff"] <= 1e-3
    path = registry.weights_path(entry)
    assert path.suffix == ".safetensors"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sources.verify(entry)[0]
    img = sources.verification_image(24)
    from PIL import Image

    pil = Image.fromarray((img * 255).astype(np.uint8))
    result = run_operation("upscale-4x", pil)
    assert result.image.size == (96, 96) and result.model_sha256 == info["sha256"]
    # A real SR output stays close to a bicubic upscale of the input (not noise).
    bicubic = np.asarray(pil.resize((96, 96), Image.Resampling.BICUBIC), np.float32)
    assert np.abs(np.asarray(result.image, np.float32) - bicubic).mean() < 20


def test_gan_models_install_from_url_shows_progress(http_server, settings, tmp_path):
    from django.core.management import call_command

    _, url = http_server
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "MODELS": {
        "realesrgan_x2plus": {"url": url, "sha256": SHA, "size": len(PAYLOAD)}}}
    out = io.StringIO()
    call_command("gan_models", "install", "realesrgan_x2plus", stdout=out)
    text = out.getvalue()
    assert "\r" in text and "100.0%" in text and "realesrgan_x2plus: installed" in text
    assert registry.read_manifest("realesrgan_x2plus")["sha256"] == SHA
    out = io.StringIO()
    call_command("gan_models", "verify", "realesrgan_x2plus", stdout=out)
    assert "OK" in out.getvalue()


@pytest.mark.slow
def test_real_x4plus_tiled_equals_untiled(settings, tmp_path):
    """With the real Real-ESRGAN weights, overlapping feathered tiles are seamless: tiled and
    untiled outputs agree closely (0..255 scale)."""
    import numpy as np
    from PIL import Image

    from wagtail_gan.models_zoo import sources, sr

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu", "TORCH_THREADS": 1}
    entry = registry.get("realesrgan_x4plus")
    sources.install(entry, offline=True)
    desc = sr.load(entry, "cpu")
    img = Image.fromarray((sources.verification_image(64) * 255).astype(np.uint8))
    whole = np.asarray(sr.run_model(desc, img, device="cpu", tile=0), np.float32)
    tiled = np.asarray(sr.run_model(desc, img, device="cpu", tile=48, overlap=16), np.float32)
    seamy = np.asarray(sr.run_model(desc, img, device="cpu", tile=48, overlap=0), np.float32)
    diff = np.abs(whole - tiled).mean(-1)
    # Real-ESRGAN sees further than 16 px, so tiles differ slightly everywhere (about 1/255,
    # smoothly, as with upstream's tile_pad); what must not exist is a seam line.
    assert diff.mean() < 1.5 and diff.max() <= 16, (diff.mean(), diff.max())
    rows = diff.mean(1)
    assert rows.max() < 3 * rows.mean()
    seam_rows = np.abs(whole - seamy).mean(-1).mean(1)
    assert seam_rows.max() > rows.max()  # without overlap, the seam row stands out
