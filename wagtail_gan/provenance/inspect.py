"""Is this file one of ours? :func:`inspect_file` reads the invisible watermark (also in JPEG
re-encodes and, trying our variants' sizes, in resized copies), our XMP fields and the C2PA
manifest, looks the job / variant / pooled rendition up, and words a verdict. Used by
``manage.py gan_verify`` and the admin page "Check an image"; never raises for bad input."""

from __future__ import annotations

import io
import logging
from typing import Any

from PIL import Image, UnidentifiedImageError
from wagtail.images import get_image_model

from ..conf import gan_settings
from ..models import GenerationJob, RenditionJob, Variant
from ..permissions import can_manage_job, visible_images
from . import c2pa
from .metadata import read_xmp
from .rights import rights_summary

logger = logging.getLogger(__name__)

MAX_CHECK_BYTES = 50 * 1024 * 1024


def _candidate_sizes() -> list[tuple[int, int]]:
    """Sizes of the originals a resized copy may come from: our variants' and pooled
    renditions' sizes."""
    try:
        Image = get_image_model()
        rows = list(
            Image.objects.filter(gan_variant__isnull=False)
            .values_list("width", "height").distinct()[:500]
        )
        rows += list(
            Image.get_rendition_model().objects.filter(filter_spec__contains="poolslot-")
            .values_list("width", "height").distinct()[:500]
        )
        return list(dict.fromkeys((w, h) for w, h in rows if w and h))
    except Exception:  # no database (e.g. gan_verify outside a project)
        logger.debug("No candidate sizes", exc_info=True)
        return []


def _sees(user: Any, image_id: Any) -> bool:
    """Whether ``user`` may see the image (None: no user to check, as in ``gan_verify``)."""
    if user is None or user.is_superuser:
        return True
    return image_id is not None and visible_images(user).filter(pk=image_id).exists()


def resolve_payload(payload: Any, user: Any = None) -> dict[str, Any]:
    """Look a watermark payload (``watermark.Payload``) up: which job, which output, which
    kept variant.

    With a ``user`` (the admin's "Check an image"), every lookup goes through the permission
    policy: an image the user may not see, and a job that is not theirs whose output they
    cannot see, are answered exactly like missing ones (the same note, no title, no user);
    without one (``manage.py gan_verify``, run by the site's operator) everything is said.
    """
    from . import watermark  # noqa: PLC0415 - numpy (provenance extra), the web tier may not have it

    found: dict[str, Any] = {"payload": str(payload)}
    if payload.kind == watermark.KIND_RENDITION:  # a pooled ML rendition (wagtail_gan.pools)
        rjob = RenditionJob.objects.filter(pk=payload.ident).select_related("image").first()
        if rjob is None or not _sees(user, rjob.image_id):
            found["note"] = _no_record(user, f"ML rendition job {payload.ident}")
            return found
        found["rendition"] = {"job_id": rjob.pk, "filter_spec": rjob.filter_spec,
                              "pool_slot": payload.index, "rendition_id": rjob.rendition_id}
        found["image"] = {"id": rjob.image_id, "title": rjob.image.title}
        variant = Variant.objects.filter(image_id=rjob.image_id).first()
        if variant is not None:
            found["variant"] = _variant_dict(variant, user)
        found["note"] = (
            f"Pool slot {payload.index} of the rendition “{rjob.filter_spec}” of image "
            f"“{rjob.image.title}”: derived from it; the source's rights apply."
        )
        return found
    job = GenerationJob.objects.filter(pk=payload.ident).first()
    variant = None
    if job is not None:
        for candidate in Variant.objects.filter(job=job).select_related("image", "source_image"):
            if int((candidate.params or {}).get("candidate", 0)) == payload.index:
                variant = candidate
                break
    own = job is not None and (user is None or can_manage_job(user, job))
    shown = variant is not None and _sees(user, variant.image_id)
    if job is None or not (own or shown):
        found["note"] = _no_record(user, f"Generation job {payload.ident}")
        return found
    if own:
        found["job"] = {
            "id": job.pk, "uuid": str(job.uuid), "operation": job.operation,
            "status": job.status, "created_at": job.created_at.isoformat(),
            "user": str(job.user) if job.user else "", "output_index": payload.index,
        }
    if shown:
        found["variant"] = _variant_dict(variant, user)
    elif variant is not None:
        found["note"] = (f"Output {payload.index} of job {job.pk} was kept as an image that "
                         "you cannot see.")
    else:
        found["note"] = (
            f"Output {payload.index} of job {job.pk} was not kept in the library"
            + (" (another candidate was)." if job.result_image_id else ".")
        )
        if job.source_image_id and _sees(user, job.source_image_id):
            found["source"] = {"id": job.source_image_id, "title": job.source_image.title}
    return found


def _no_record(user: Any, what: str) -> str:
    # With a user, one note for "missing" and "not yours to see": the answer is the same.
    if user is None:
        return f"{what} no longer exists."
    return f"{what}: no record of it that you can see."


def _variant_dict(variant: Any, user: Any = None) -> dict[str, Any]:
    return {
        "id": variant.pk,
        "image_id": variant.image_id,
        "image_title": variant.image.title,
        "operation": variant.operation,
        "model_id": variant.model_id,
        "model_sha256": variant.model_sha256,
        "seed": variant.seed,
        "created_at": variant.created_at.isoformat(),
        "rights": rights_summary(variant, user),
    }


def inspect_file(data: bytes, *, name: str = "", use_database: bool = True,
                 user: Any = None) -> dict[str, Any]:
    """Everything we can tell about a file: is it ours (watermark, XMP), which job/variant,
    from which source, and does its C2PA manifest validate. Never raises for bad input.
    ``user``: the database lookups say only what this user may see (``resolve_payload``)."""
    report: dict[str, Any] = {"name": name, "size": len(data), "errors": []}
    if len(data) > MAX_CHECK_BYTES:
        report["errors"].append(f"File too large to check (over {MAX_CHECK_BYTES // 2**20} MB).")
        report["verdict"] = "Not checked."
        return report
    try:
        pil = Image.open(io.BytesIO(data))
        report.update(format=pil.format, width=pil.width, height=pil.height)
        max_pixels = max(int(gan_settings.MAX_OUTPUT_PIXELS), 1)
        if pil.width * pil.height > max_pixels:
            report["errors"].append(
                f"Image too large for the watermark check ({pil.width}x{pil.height}; our "
                f"outputs are at most {max_pixels} pixels)."
            )
            pil = None
        else:
            pil.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        report["errors"].append(f"Not a readable image ({type(exc).__name__}: {exc}).")
        pil = None

    report["xmp"] = read_xmp(data)
    report["c2pa"] = c2pa.read(data).as_dict()

    wm: dict[str, Any] = {"found": False}
    try:
        from . import watermark  # noqa: PLC0415 - numpy may be missing: reported, not raised
    except ImportError:
        watermark = None
        report["errors"].append(
            "numpy is not installed: watermarks cannot be checked "
            "(pip install 'wagtail-gan[provenance]')."
        )
        pil = None
    if pil is not None:
        sizes = _candidate_sizes() if use_database else []
        try:
            detection = watermark.decode(pil, sizes)
        except Exception as exc:  # pragma: no cover - decoder bug must not break the page
            logger.exception("Watermark decoding failed")
            report["errors"].append(f"Watermark decoding failed: {exc}")
            detection = None
        if detection is not None:
            wm["confidence"] = round(detection.confidence, 3)
            if detection.payload is not None:
                wm.update(
                    found=True, payload=detection.payload.to_bytes().hex(),
                    kind=detection.payload.kind_name, ident=detection.payload.ident,
                    index=detection.payload.index, decoded_at=list(detection.size),
                    resized=tuple(detection.size) != pil.size,
                )
                if use_database:
                    try:
                        report["match"] = resolve_payload(detection.payload, user)
                    except Exception as exc:
                        logger.exception("Watermark lookup failed")
                        report["errors"].append(f"Database lookup failed: {exc}")
    report["watermark"] = wm
    if (
        "match" not in report and use_database and watermark is not None
        and report["xmp"].get("wgan:JobId")
    ):
        try:
            ident = int(report["xmp"]["wgan:JobId"])
            index = int(report["xmp"].get("wgan:Output") or 0)
            report["match"] = resolve_payload(
                watermark.Payload(watermark.KIND_JOB_OUTPUT, ident, index), user
            )
            report["match"]["from_metadata"] = True
        except (ValueError, TypeError):
            pass
        except Exception as exc:
            report["errors"].append(f"Database lookup failed: {exc}")
    report["ours"] = bool(wm.get("found") or report["xmp"].get("wgan:Job")
                          or report["c2pa"].get("generation"))
    report["verdict"] = _verdict(report)
    return report


def _verdict(report: dict[str, Any]) -> str:
    parts = []
    if report.get("ours"):
        match = report.get("match") or {}
        variant = match.get("variant")
        if variant:
            parts.append(
                f"Made by wagtail-gan: variant {variant['id']} (image “{variant['image_title']}”, "
                f"{variant['operation']})."
            )
            parts.append(variant["rights"]["statement"])
        elif match.get("job"):
            parts.append(f"Made by wagtail-gan: output {match['job']['output_index']} of job "
                         f"{match['job']['id']} ({match['job']['operation']}).")
        else:
            parts.append("Made by wagtail-gan.")
        if match.get("note"):
            parts.append(match["note"])
    else:
        parts.append("No wagtail-gan watermark or metadata found.")
    dst = report.get("xmp", {}).get("Iptc4xmpExt:DigitalSourceType", "")
    if dst:
        parts.append(f"Digital source type: {dst.rsplit('/', 1)[-1]}.")
    parts.append((report.get("c2pa") or {}).get("summary", ""))
    return " ".join(p for p in parts if p)
