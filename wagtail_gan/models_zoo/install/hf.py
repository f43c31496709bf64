"""A Hugging Face repo at a pinned 40-hex commit, snapshotted into MODELS_DIR/<id>/snapshot.

The files and their sizes come from the hub's metadata (``HfApi.model_info(...,
files_metadata=True)``, filtered by :data:`ALLOW_PATTERNS` as ``snapshot_download`` filters);
each file is fetched with ``hf_hub_download`` (a few at a time) into ``snapshot.tmp``, with a
tqdm class that counts the bytes it writes: ``on_progress(done, total, "bytes")`` against the
metadata's total, reported from the calling thread, and a tqdm bar on ``stream``. Hub versions
whose ``hf_hub_download`` takes no ``tqdm_class`` advance file by file. Only a complete
snapshot is renamed to ``snapshot`` (an interrupted one stays in ``snapshot.tmp``, which the
next install resumes), then the manifest records a sha256 over its files (see ``hashing``),
so ``verify`` notices any change afterwards.
"""

from __future__ import annotations

import inspect
import os
import shutil
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import SourceError
from ..hashing import folder_files, lines_sha256, tree_lines
from .download import OnProgress, ProgressBar, write_manifest

ALLOW_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.model"]
WORKERS = 4  # files fetched at once
POLL = 0.25  # seconds between progress reports while files download


def is_commit_sha(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)


def repo_files(source: registry.Source) -> list[tuple[str, int | None]]:
    """``(path, size)`` of the files to fetch at ``source.revision``, from the hub's metadata."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import filter_repo_objects

    info = HfApi().model_info(source.repo, revision=source.revision, files_metadata=True)
    sizes = {s.rfilename: s.size for s in info.siblings or []}
    return [(name, sizes[name]) for name in
            filter_repo_objects(sorted(sizes), allow_patterns=ALLOW_PATTERNS)]


class ByteCounter:
    """Bytes written by the download threads; reported by the calling thread only (the
    progress callback writes a database row: one connection, the caller's)."""

    def __init__(self, total: int | None, on_progress: OnProgress | None, bar) -> None:
        self.total, self.on_progress, self.bar = total, on_progress, bar
        self.done = self.reported = 0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.done += n

    def report(self) -> None:
        with self.lock:
            done = self.done
        if self.bar is not None and done > self.reported:
            self.bar.update(done - self.reported)
        self.reported = done
        if self.on_progress is not None:
            self.on_progress(done, self.total, "bytes")

    def tqdm_class(self):
        """A silent tqdm for ``hf_hub_download`` whose updates count here."""
        from tqdm.auto import tqdm

        counter = self

        class CountingTqdm(tqdm):
            def __init__(self, *args, **kwargs):
                kwargs.pop("name", None)
                kwargs["disable"] = True
                super().__init__(*args, **kwargs)

            def update(self, n=1):
                counter.add(int(n or 0))
                return super().update(n)

        return CountingTqdm


def fetch(source: registry.Source, files: list[tuple[str, int | None]], dest: Path,
          cache: Path, counter: ByteCounter) -> None:
    """``hf_hub_download`` each file into ``dest``, ``WORKERS`` at a time; the first error is
    raised once the others stopped."""
    from huggingface_hub import hf_hub_download

    counting = "tqdm_class" in inspect.signature(hf_hub_download).parameters

    def one(name: str, size: int | None) -> None:
        kwargs = {"tqdm_class": counter.tqdm_class()} if counting else {}
        hf_hub_download(repo_id=source.repo, filename=name, revision=source.revision,
                        local_dir=str(dest), cache_dir=str(cache), **kwargs)
        if not counting:
            counter.add(size or 0)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending = {pool.submit(one, name, size) for name, size in files}
        while pending:
            done, pending = wait(pending, timeout=POLL, return_when=FIRST_EXCEPTION)
            counter.report()
            for future in done:
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()
                    raise future.exception()


def install_from_hf(entry: registry.ModelEntry, source: registry.Source, *,
                    stream=None, on_progress: OnProgress | None = None) -> dict[str, Any]:
    """The pinned revision's files into MODELS_DIR/<id>/snapshot (through ``snapshot.tmp``;
    the hub cache also lives under the models dir). Refuses an unpinned revision."""
    if not source.revision:
        raise SourceError(
            f"{entry.id}: no pinned revision. Pin one on the Models page, or set "
            f"WAGTAIL_GAN['MODELS']['{entry.id}'] = {{'revision': '<commit sha of "
            f"{source.repo}>'}} (a 40-hex commit, not a branch)"
        )
    if not is_commit_sha(source.revision):
        raise SourceError(f"{entry.id}: revision must be a 40-hex commit sha, got "
                          f"{source.revision!r}")
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:  # pragma: no cover
        raise SourceError("huggingface_hub is needed: pip install 'wagtail-gan[worker]'") from None
    folder = registry.model_dir(entry.id)
    final, tmp, cache = folder / "snapshot", folder / "snapshot.tmp", folder / "hf-cache"
    if stream:
        stream.write(f"{entry.id}: downloading {source.repo}@{source.revision[:12]} "
                     "from the Hugging Face hub\n")
    bar = ProgressBar(entry.id, stream) if stream is not None else None
    try:
        files = repo_files(source)
        sizes = [size for _, size in files]
        total = sum(sizes) if all(s is not None for s in sizes) else None
        if bar is not None:
            bar.start(total, 0)
        counter = ByteCounter(total, on_progress, bar)
        counter.report()
        tmp.mkdir(parents=True, exist_ok=True)
        fetch(source, files, tmp, cache, counter)
    except Exception as exc:  # the partial snapshot.tmp stays for the next attempt
        raise SourceError(f"{entry.id}: Hugging Face download failed: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    finally:
        if bar is not None:
            bar.close()
    missing = [name for name, _ in files if not (tmp / name).is_file()]
    if missing:
        raise SourceError(f"{entry.id}: the download left out {', '.join(missing[:3])}")
    shutil.rmtree(tmp / ".cache", ignore_errors=True)  # hf_hub_download's resume records
    wanted = {name for name, _ in files}
    for path in folder_files(tmp):  # left by an attempt at another revision
        if path.relative_to(tmp).as_posix() not in wanted:
            path.unlink()
    lines = tree_lines(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    shutil.rmtree(cache, ignore_errors=True)
    info = {"file": "snapshot", "sha256": lines_sha256(lines), "source": source.describe(),
            "kind": "hf", "revision": source.revision, "tofu": False, "files": lines}
    write_manifest(entry.id, info)
    return info
