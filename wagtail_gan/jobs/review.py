"""Reviewing editor/API jobs: cancel a queued job (or a running one whose worker died:
``work.submit.cancel``), keep an output (a new library image with its provenance), discard the
outputs. Nothing enters the library until it is kept."""

from __future__ import annotations

import io
import os

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Collection
from wagtail.utils.file import hash_filelike

from wagtail_gan.exceptions import JobError
from wagtail_gan.models import GenerationJob, Variant
from wagtail_gan.operations import describe
from wagtail_gan.permissions import check_can_add_to, check_manage, visible_images
from wagtail_gan.provenance import copy_rights
from wagtail_gan.work import submit as work_submit

from .outputs import delete_outputs, pending_storage

AI_TAG = "ai-generated"


def cancel_job(job, user) -> bool:
    """Cancel a queued job (revokes its Huey task), or a running job whose worker died (no
    need to wait for the sweeper). Returns False when it runs on a live worker or finished."""
    check_manage(user, job)
    return work_submit.cancel(job)


def operation_title(job, user=None) -> str:
    """The editor's name for what a job (or a kept ``Variant``) did: "fauve style", "in the
    style of Harbour"; the spec stays in the provenance (``Variant.operation``). With a
    ``user``, a style image's title is said only if that user can see the image."""
    params = dict(job.params or {})
    interpreted = (job.interpretation or {}).get("params") or {}
    if "style_image" in params and "style_image_title" not in params:
        if user is not None and not visible_images(user).filter(
                pk=params["style_image"]).exists():
            pass  # missing, or not this user's to see: no title either way
        elif interpreted.get("style_image") == params["style_image"]:
            params["style_image_title"] = interpreted.get("style_image_title")
        else:
            title = get_image_model().objects.filter(pk=params["style_image"]).values_list(
                "title", flat=True).first()
            if title:
                params["style_image_title"] = title
    if job.instruction and "prompt" not in params:
        params["prompt"] = job.instruction
    return describe(job.operation, params)


def result_title(job) -> str:
    if job.source_image_id and job.source_image:
        title = f"{job.source_image.title} — {operation_title(job)}"
    else:
        prompt = " ".join(job.instruction.split())
        title = prompt if len(prompt) <= 200 else prompt[:199] + "…"
    return title[:255]


@transaction.atomic
def keep_job(job, user, index: int = 0):
    """Save output ``index`` as a new library image with its provenance; returns the Image.

    Keeping again returns the image already kept. The other candidates are removed.
    """
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if user is not None:
        check_manage(user, job)
    Image = get_image_model()
    if job.result_image_id:
        return job.result_image
    if job.status != GenerationJob.Status.SUCCEEDED or not job.outputs:
        raise JobError("There is no finished output to keep.", None)
    try:
        index = int(index)
        output = job.outputs[index]
    except (TypeError, ValueError, IndexError):
        raise JobError(f"Choose an output between 0 and {len(job.outputs) - 1}.", "index") from None
    source = job.source_image
    collection = job.collection or (source.collection if source else None)
    if collection is None:
        collection = Collection.get_first_root_node()
    if user is not None:
        check_can_add_to(user, collection)

    storage = pending_storage()
    name = output["name"]
    ext = os.path.splitext(name)[1] or ".jpg"
    base = (source.title if source else "generated")[:40]
    filename = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in base).strip("-") or "image"
    filename = f"{filename}-{job.operation}{ext}"[:90]
    with storage.open(name, "rb") as fh:
        data = fh.read()
    image = Image(
        title=result_title(job), collection=collection,
        uploaded_by_user=user if user is not None else job.user,
    )
    image.file = ImageFile(ContentFile(data), name=filename)
    image.file_size = len(data)
    image.file_hash = hash_filelike(io.BytesIO(data))  # saved with the image, not re-read
    if source is not None and source.focal_point_x is not None and source.width and source.height:
        sx = output["width"] / source.width
        sy = output["height"] / source.height
        image.focal_point_x = round(source.focal_point_x * sx)
        image.focal_point_y = round(source.focal_point_y * sy)
        image.focal_point_width = max(1, round((source.focal_point_width or 1) * sx))
        image.focal_point_height = max(1, round((source.focal_point_height or 1) * sy))
    copy_rights(source, image)  # copyright/credit/licence fields, where the image model has them
    image.save()
    op_name = job.operation.split("-")[0]
    image.tags.add(AI_TAG, op_name)

    Variant.objects.create(
        image=image, source_image=source, job=job, operation=job.operation,
        model_id=job.model_id, model_sha256=job.model_sha256,
        params={**job.params, **({"candidate": index} if job.count > 1 else {})},
        seed=output.get("seed", job.seed), instruction=job.instruction,
        interpretation=job.interpretation, user=job.user, duration=job.duration,
    )
    names = [o["name"] for o in job.outputs]
    job.result_image = image
    job.outputs = []
    job.save(update_fields=["result_image", "outputs"])
    transaction.on_commit(lambda: delete_outputs(names))
    return image


def discard_job(job, user) -> None:
    """Drop the pending outputs (or cancel the job while queued). Nothing enters the library."""
    check_manage(user, job)
    job.refresh_from_db()
    if job.status == GenerationJob.Status.QUEUED:
        cancel_job(job, user)
        job.refresh_from_db()
        if job.status == GenerationJob.Status.CANCELLED:
            return
    if job.status == GenerationJob.Status.RUNNING:
        if not work_submit.cancel_orphan(job):
            raise JobError("The job is running; discard it once it has finished.", None)
        job.refresh_from_db()
    names = [o["name"] for o in job.outputs or []]
    GenerationJob.objects.filter(pk=job.pk).update(outputs=[])
    job.outputs = []
    delete_outputs(names)
