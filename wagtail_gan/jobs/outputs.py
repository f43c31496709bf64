"""Outputs of editor/API jobs: written by the worker under ``gan_pending/`` in a PRIVATE storage
(with provenance), served to their owner only through permission-checked views (admin and
API, both answered by ``serve_output``), deleted when discarded or kept. Nothing under a
public media URL until kept.

The storage is ``STORAGES["wagtail_gan_pending"]`` when the site defines it (e.g. a private
S3 bucket), else a ``FileSystemStorage`` without a base URL at ``WAGTAIL_GAN["PENDING_DIR"]``
(default ``<data home>/wagtail-gan/pending``, see ``conf.data_home``; outside ``MEDIA_ROOT``)."""

from __future__ import annotations

import mimetypes

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages
from django.http import FileResponse, Http404
from django.urls import NoReverseMatch, reverse
from PIL import Image as PILImage
from PIL import ImageOps

from wagtail_gan.conf import gan_settings
from wagtail_gan.exceptions import JobError
from wagtail_gan.operations import parse_int
from wagtail_gan.provenance import finalize_output
from wagtail_gan.work.storage import delete_files

from .validation import check_raster

PENDING_DIR = "gan_pending"
STORAGE_ALIAS = "wagtail_gan_pending"


def pending_storage():
    try:
        return storages[STORAGE_ALIAS]
    except InvalidStorageError:
        # base_url=None: the storage has no public URL (url() raises); files are streamed by
        # the owner-only views.
        return FileSystemStorage(location=gan_settings.pending_dir, base_url=None)


def delete_outputs(names) -> None:
    delete_files(pending_storage(), names)


def output_url(job, index: int) -> str:
    """URL of a pending output: the admin's permission-checked view ("" without the admin)."""
    try:
        return reverse("wagtail_gan_admin:job_output", args=[job.pk, index])
    except NoReverseMatch:
        return ""


def serve_output(job, index) -> FileResponse:
    """The file of pending output ``index`` (an int, or the URL's text) of ``job``, for the
    admin's and the API's output views, which have checked that the user may see the job.
    Privately cacheable, never sniffed as another type. ``Http404`` when the job has no such
    output or its file is gone (kept or discarded)."""
    outputs = job.outputs or []
    number = parse_int(str(index), 0, len(outputs) - 1)
    if number is None or not isinstance(outputs[number], dict):
        raise Http404(f"Job {job.pk} has no output {index}.")
    name = outputs[number].get("name") or ""
    storage = pending_storage()
    if not name or not storage.exists(name):
        raise Http404("The output file is gone (kept or discarded).")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def load_pixels(image):
    """The pixels of a library image, upright (EXIF orientation applied), for the worker."""
    check_raster(image)
    try:
        with image.open_file() as fh:
            pil = PILImage.open(fh)
            pil.load()
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
        # A missing, truncated or corrupt file: say so instead of "Unexpected error".
        raise JobError(f"The file of “{image.title}” cannot be read as an image ({exc}).") \
            from exc
    upright = ImageOps.exif_transpose(pil)
    # The copy keeps the JPEG's quantisation tables: the engine estimates the file's quality
    # from them (restore's noise level, ``models_zoo.jpeg``) as it does for renditions.
    tables = getattr(pil, "quantization", None)
    if tables and upright is not pil:
        upright.quantization = tables
    return upright


def write_output(job, pil, index: int, seed, result=None) -> dict:
    data, ext = finalize_output(pil, job=job, index=index, result=result)
    name = pending_storage().save(f"{PENDING_DIR}/{job.uuid.hex}-{index}.{ext}",
                                  ContentFile(data))
    return {"name": name, "width": pil.width, "height": pil.height, "seed": seed}
