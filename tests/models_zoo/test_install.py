"""install/: downloads against a local HTTP server on 127.0.0.1 (never the internet): hash
checks, resume, trust on first use, progress (tqdm bar and callback); Hugging Face pinning;
the one sha256 helper."""

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
    from wagtail_gan.models_zoo import install

    _, url = http_server
    out = io.StringIO()
    digest = install.download(url, tmp_path / "w.pth", sha256=SHA, stream=out)
    assert digest == SHA
    assert (tmp_path / "w.pth").read_bytes() == PAYLOAD
    assert not (tmp_path / "w.pth.part").exists()
    assert stat.S_IMODE((tmp_path / "w.pth").stat().st_mode) == 0o644
    assert "100.0%" in out.getvalue()  # progress bar


def test_download_bad_hash_is_refused(http_server, tmp_path):
    from wagtail_gan.models_zoo import install

    _, url = http_server
    (tmp_path / "w.pth").write_bytes(b"previous good file")
    with pytest.raises(install.HashMismatch, match="sha256 mismatch"):
        install.download(url, tmp_path / "w.pth", sha256="0" * 64)
    assert (tmp_path / "w.pth").read_bytes() == b"previous good file"  # untouched
    assert not (tmp_path / "w.pth.part").exists()


def test_interrupted_download_resumes_with_range(http_server, tmp_path):
    from wagtail_gan.models_zoo import install

    server, url = http_server
    server.state["cut_first"] = True
    digest = install.download(url, tmp_path / "w.pth", sha256=SHA)
    assert digest == SHA
    assert server.state["requests"][0] is None
    assert server.state["requests"][1].startswith("bytes=") and server.state["requests"][1] != "bytes=0-"


def test_interrupted_download_without_range_support_restarts(http_server, tmp_path):
    from wagtail_gan.models_zoo import install

    server, url = http_server
    server.state.update(cut_first=True, ranges=False)
    assert install.download(url, tmp_path / "w.pth", sha256=SHA) == SHA
    assert (tmp_path / "w.pth").read_bytes() == PAYLOAD


def test_trust_on_first_use_then_verify(http_server, settings, tmp_path):
    from wagtail_gan.models_zoo import install

    server, url = http_server
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "DEVICE": "cpu",
                            "MODELS": {"cyclegan_style_monet": {"url": url}}}
    entry = registry.get("cyclegan_style_monet")
    info = install.install(entry)
    assert info["tofu"] is True and info["sha256"] == SHA
    assert registry.read_manifest(entry.id)["sha256"] == SHA
    assert install.verify(entry) == (True, "matches the sha256 recorded on first use")
    # The file changes on disk: verify says so.
    path = registry.weights_path(entry)
    path.write_bytes(PAYLOAD[:-1] + bytes([PAYLOAD[-1] ^ 1]))  # (random payload may end in "x")
    ok, message = install.verify(entry)
    assert not ok and "does not match" in message
    # The server now serves something else: a reinstall is refused (pinned on first use).
    path.unlink()
    server.state["body"] = b"tampered" + PAYLOAD
    with pytest.raises(install.SourceError, match="sha256 mismatch"):
        install.install(entry)


def test_hf_source_needs_a_pinned_commit(settings, tmp_path):
    from wagtail_gan.models_zoo import install

    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path)}
    entry = registry.get("instruct_pix2pix")
    with pytest.raises(install.SourceError, match="no pinned revision"):
        install.install_from_hf(entry, entry.sources[0])
    with pytest.raises(install.SourceError, match="40-hex"):
        install.install_from_hf(entry, registry.Source("hf", repo="a/b", revision="main"))


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


def test_download_reports_progress_to_a_callback(http_server, tmp_path):
    from wagtail_gan.models_zoo import install

    _, url = http_server
    seen = []
    install.download(url, tmp_path / "w.pth", sha256=SHA,
                     on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 1


def test_progress_bar_is_tqdm(http_server, tmp_path):
    """The bar on the stream is drawn by tqdm (ProgressBar wraps a tqdm instance)."""
    from tqdm import tqdm

    from wagtail_gan.models_zoo.install.download import ProgressBar

    out = io.StringIO()
    bar = ProgressBar("w.pth", out)
    bar.start(1000, 0)
    assert isinstance(bar._bar, tqdm)
    bar.update(1000)
    bar.close()
    assert "\r" in out.getvalue() and "100.0%" in out.getvalue()


def test_one_sha256_helper(tmp_path):
    from wagtail_gan.models_zoo import hashing

    (tmp_path / "d" / ".cache").mkdir(parents=True)
    (tmp_path / "d" / "a.bin").write_bytes(PAYLOAD)
    (tmp_path / "d" / ".cache" / "x.lock").write_bytes(b"ignored")
    assert hashing.sha256_file(tmp_path / "d" / "a.bin") == SHA
    assert hashing.sha256_file(tmp_path / "d" / "a.bin", cached=True) == SHA
    assert hashing.tree_lines(tmp_path / "d") == [f"a.bin  {SHA}"]
    assert hashing.lines_sha256([f"a.bin  {SHA}"]) == hashlib.sha256(
        f"a.bin  {SHA}".encode()).hexdigest()
