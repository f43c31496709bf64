"""sha256 of weight files and folders: the one helper the engine (provenance of a run) and
``install`` (downloads, manifests, verify) use. Files are hashed with ``hashlib.file_digest``.

A folder (a diffusers snapshot, a package's model files) is hashed as the sha256 of its
``"<relative path>  <sha256>"`` lines, sorted by path, so the manifest can list them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_cache: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | Path, *, cached: bool = False) -> str:
    """Hex sha256 of a file. ``cached`` reuses the digest while the file's path, mtime and
    size are unchanged (for the engine, which hashes the same weights on every run); install
    and verify always read the bytes."""
    path = Path(path)
    key = None
    if cached:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key in _cache:
            return _cache[key]
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    if key is not None:
        _cache[key] = digest
    return digest


def folder_files(root: Path) -> list[Path]:
    """Every file under ``root``, sorted, skipping Hugging Face ``.cache`` folders."""
    return sorted(p for p in Path(root).rglob("*") if p.is_file() and ".cache" not in p.parts)


def tree_lines(root: Path, files: Iterable[Path] | None = None, *,
               cached: bool = False) -> list[str]:
    """``"<path relative to root>  <sha256>"`` for ``files`` (default: all of ``root``)."""
    root = Path(root)
    chosen = folder_files(root) if files is None else list(files)
    return [f"{p.relative_to(root)}  {sha256_file(p, cached=cached)}" for p in chosen]


def lines_sha256(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
