"""Outputs of editor/API jobs: written by the worker under ``gan_pending/`` in the image
storage (with provenance), served to their owner, deleted when discarded or kept."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse

from wagtail_gan.exceptions import JobError
from wagtail_gan.provenance import finalize_output
from wagtail_gan.work.storage import delete_files, image_storage

from .validation import check_raster

PENDING_DIR = "gan_pending"


def delete_outputs(names) -> None:
    delete_files(image_storage(), names)


def output_url(job, index: int) -> str:
    """URL of a pending output: the admin preview view (permission-checked) when installed."""
    try:
        return reverse("wagtail_gan_admin:job_output", args=[job.pk, index])
    except NoReverseMatch:
        return image_storage().url(job.outputs[index]["name"])


def load_pixels(image):
    from PIL import Image as PILImage
    from PIL import ImageOps

    check_raster(image)
    try:
        with image.open_file() as fh:
            pil = PILImage.open(fh)
            pil.load()
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
        # A missing, truncated or corrupt file: say so instead of "Unexpected error".
        raise JobError(f"The file of “{image.title}” cannot be read as an image ({exc}).") \
            from exc
    return ImageOps.exif_transpose(pil)


def write_output(job, pil, index: int, seed, result=None) -> dict:
    data, ext = finalize_output(pil, job=job, index=index, result=result)
    name = image_storage().save(f"{PENDING_DIR}/{job.uuid.hex}-{index}.{ext}", ContentFile(data))
    return {"name": name, "width": pil.width, "height": pil.height, "seed": seed}
