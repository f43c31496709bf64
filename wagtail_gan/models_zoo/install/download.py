"""One file over HTTP(S): streamed to ``<name>.part``, resumed with a Range request after an
interrupted transfer, sha256-checked, then renamed atomically; a converted file checked
against its reference before it takes its final name (:func:`check_then_place`); and the
install manifest.

Progress goes to a tqdm bar on ``stream`` (what ``gan_models install`` shows) and/or to an
``on_progress(done, total, unit="bytes")`` callback (total None when the server does not say),
for callers such as an admin page. Every install source reports through it: bytes for
downloads (``url``, ``hf``), steps of a known total (:class:`Steps`) for conversions.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import HashMismatch, SourceError
from ..hashing import sha256_file

CHUNK = 1 << 20
# on_progress(done, total, unit="bytes" | "steps")
OnProgress = Callable[..., None]


class Steps:
    """The progress of a conversion, in steps of a known total (fetch, convert, check...):
    ``on_progress(done, total, "steps")`` after each, so the Models page shows a bar and an
    ETA as it does for downloads. ``add`` grows the total once a step's size is known."""

    def __init__(self, total: int, on_progress: OnProgress | None) -> None:
        self.total, self.done, self.on_progress = total, 0, on_progress
        self.report()

    def report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.done, self.total, "steps")

    def add(self, steps: int) -> None:
        self.total += steps
        self.report()

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.total, self.done + steps)
        self.report()


class ProgressBar:
    """A tqdm byte counter on ``stream``: a bar and percentage once the size is known.
    Silent when tqdm is not installed (it comes with the worker extra)."""

    KNOWN = "{desc} [{bar:30}] {percentage:5.1f}% {n_fmt}B/{total_fmt}B {rate_fmt}"
    UNKNOWN = "{desc} {n_fmt}B {rate_fmt}"

    def __init__(self, desc: str, stream) -> None:
        self.desc = desc
        self.stream = stream
        self._bar = None

    def start(self, total: int | None, done: int) -> None:
        """(Re)start at ``done`` bytes of ``total`` (each attempt, as a resume may restart)."""
        if self._bar is None:
            try:
                from tqdm import tqdm
            except ImportError:  # pragma: no cover - tqdm is part of the worker extra
                return
            self._bar = tqdm(desc=self.desc, file=self.stream, unit="", unit_scale=True,
                             ascii=" #", mininterval=0.5, leave=True)
        self._bar.bar_format = self.KNOWN if total else self.UNKNOWN
        self._bar.reset(total=total)
        if done:
            self._bar.update(done)

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    size: int | None = None,
    on_progress: OnProgress | None = None,
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
    bar = ProgressBar(dest.name, stream) if stream is not None else None
    attempt = 0
    while True:
        attempt += 1
        have = part.stat().st_size if part.exists() else 0
        try:
            _fetch(url, part, have, size, timeout, bar, on_progress)
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


def _fetch(url: str, part: Path, have: int, size: int | None, timeout: float,
           bar: ProgressBar | None, on_progress: OnProgress | None) -> None:
    """One attempt: append to ``part`` from byte ``have`` (or start over when the server
    ignores the Range header)."""
    req = urllib.request.Request(url, headers={"User-Agent": "wagtail-gan"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        if have and getattr(resp, "status", 200) != 206:
            have = 0  # server ignored the range: start over
        length = resp.headers.get("Content-Length")
        total = (have + int(length)) if length and length.isdigit() else size
        if bar is not None:
            bar.start(total, have)
        with open(part, "ab" if have else "wb") as fh:
            while chunk := resp.read(CHUNK):
                fh.write(chunk)
                have += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                if on_progress:
                    on_progress(have, total)
        if total and have < total:
            raise SourceError(f"connection closed after {have} of {total} bytes")


def check_then_place(tmp: Path, final: Path, check: Callable[[], float], *, tolerance: float,
                     against: str, errors: tuple[type[Exception], ...] = ()) -> float:
    """Run ``check()`` (the max abs difference between the converted file ``tmp`` and its
    reference) and rename ``tmp`` to ``final`` only within ``tolerance``: a half-written or
    wrong conversion never takes the name the worker loads. Any failure (``errors`` said as a
    ``SourceError``) deletes ``tmp``."""
    try:
        try:
            diff = check()
        except errors as exc:
            raise SourceError(f"{exc}; nothing installed") from None
        if not diff <= tolerance:
            raise SourceError(f"converted weights differ from {against} by {diff:.2e} "
                              f"(> {tolerance:g}); nothing installed")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)
    return diff


def write_manifest(model_id: str, data: dict[str, Any]) -> None:
    """MODELS_DIR/<id>/manifest.json (0644), written atomically, with the install time."""
    folder = registry.model_dir(model_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (registry.MANIFEST + ".tmp")
    tmp.write_text(json.dumps({**data, "id": model_id,
                               "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime())}, indent=2))
    os.chmod(tmp, 0o644)
    os.replace(tmp, folder / registry.MANIFEST)
