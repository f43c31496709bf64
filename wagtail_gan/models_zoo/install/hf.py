"""A Hugging Face repo at a pinned 40-hex commit, snapshotted into MODELS_DIR/<id>/snapshot.

The manifest records a sha256 over the snapshot's files (see ``hashing``), so ``verify``
notices any change afterwards.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import SourceError
from ..hashing import lines_sha256, tree_lines
from .download import write_manifest

ALLOW_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.model"]


def is_commit_sha(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)


def install_from_hf(entry: registry.ModelEntry, source: registry.Source, *,
                    stream=None) -> dict[str, Any]:
    """``snapshot_download`` at the pinned revision into MODELS_DIR/<id>/snapshot (the hub
    cache also lives under the models dir). Refuses an unpinned revision."""
    if not source.revision:
        raise SourceError(
            f"{entry.id}: no pinned revision. Set WAGTAIL_GAN['MODELS']['{entry.id}'] = "
            f"{{'revision': '<commit sha of {source.repo}>'}} (a 40-hex commit, not a branch)"
        )
    if not is_commit_sha(source.revision):
        raise SourceError(f"{entry.id}: revision must be a 40-hex commit sha, got "
                          f"{source.revision!r}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover
        raise SourceError("huggingface_hub is needed: pip install 'wagtail-gan[worker]'") from None
    folder = registry.model_dir(entry.id)
    if stream:
        stream.write(f"{entry.id}: downloading {source.repo}@{source.revision[:12]} "
                     "from the Hugging Face hub\n")
    try:
        path = snapshot_download(
            repo_id=source.repo, revision=source.revision, local_dir=str(folder / "snapshot"),
            cache_dir=str(folder / "hf-cache"), allow_patterns=ALLOW_PATTERNS,
        )
    except Exception as exc:
        raise SourceError(f"{entry.id}: Hugging Face download failed: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    shutil.rmtree(folder / "hf-cache", ignore_errors=True)
    lines = tree_lines(Path(path))
    info = {"file": "snapshot", "sha256": lines_sha256(lines), "source": source.describe(),
            "kind": "hf", "revision": source.revision, "tofu": False, "files": lines}
    write_manifest(entry.id, info)
    return info
