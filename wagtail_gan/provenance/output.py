"""What every generated output goes through before it is stored: :func:`finalize_output`.

Torch-free; the job runner calls it on the worker. It

1. embeds an invisible watermark naming the job and output index (:mod:`.watermark`;
   survives JPEG quality 75), unless ``WAGTAIL_GAN["WATERMARK"]`` is False or the image is
   smaller than 32 px a side;
2. encodes the file (PNG when it has transparency, else JPEG q92) with an XMP packet
   (:mod:`.metadata`: IPTC ``DigitalSourceType``, ``AISystemUsed``, ``AISystemVersionUsed``,
   ``dc:source``, the source's rights, our ``wgan:`` fields);
3. signs it with C2PA (:mod:`.c2pa`) when ``C2PA_CERT_CHAIN`` and ``C2PA_PRIVATE_KEY`` are set
   (``c2pa.created`` or ``c2pa.opened`` + ``c2pa.edited``, the source as ``parentOf``
   ingredient, the model id and weights hash as software agent, no thumbnails by default).
   When signing is configured but fails, the job fails with the reason: a site that asked for
   signed outputs never gets unsigned ones silently.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from PIL import Image, PngImagePlugin

from ..conf import gan_settings
from . import c2pa
from .metadata import COMPOSITE, TRAINED, build_xmp
from .rights import source_rights

logger = logging.getLogger(__name__)


def _is_text_to_image(job: Any) -> bool:
    return getattr(job, "kind", "") == "generate" or getattr(job, "source_image_id", None) is None


def output_info(job: Any, index: int = 0, result: Any = None) -> dict[str, Any]:
    """What the metadata of output ``index`` of ``job`` records (``result`` is the engine's
    EngineResult when the caller has it: the job row gets model id and hash only later)."""
    source = getattr(job, "source_image", None) if getattr(job, "source_image_id", None) else None
    seed = getattr(result, "seed", None)
    if seed is None:
        seed = getattr(job, "seed", None)
    info = {
        "digital_source_type": TRAINED if _is_text_to_image(job) else COMPOSITE,
        "job_id": getattr(job, "pk", None),
        "job_uuid": str(getattr(job, "uuid", "") or ""),
        "output_index": index,
        "operation": getattr(job, "operation", "") or "",
        "model_id": getattr(result, "model_id", "") or getattr(job, "model_id", "") or "",
        "model_sha256": getattr(result, "model_sha256", "") or getattr(job, "model_sha256", "")
        or "",
        "seed": seed,
        "source_id": source.pk if source is not None else None,
        "source_title": source.title if source is not None else "",
        "rights": source_rights(source) if source is not None else {},
    }
    return info


def finalize_output(
    image: Image.Image, *, job: Any, index: int = 0, result: Any = None
) -> tuple[bytes, str]:
    """Encode a generated image for storage with its provenance; returns (bytes, extension).

    Images with transparency (RGBA, LA, a palette with a transparent index) are stored as PNG,
    never as a JPEG that would flatten them; everything else as JPEG quality 92.
    """
    info = output_info(job, index, result)
    from . import watermark  # noqa: PLC0415 - numpy: the worker always has it, the web tier may not

    if image.mode == "PA" or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")  # the watermark works on RGB(A): keep the alpha

    if gan_settings.WATERMARK and info["job_id"] is not None and min(image.size) >= watermark.MIN_SIDE:
        payload = watermark.Payload(watermark.KIND_JOB_OUTPUT, int(info["job_id"]) % 2**32, index % 32)
        image = watermark.embed(image, payload)
        info["watermark"] = payload.to_bytes().hex()
    xmp = build_xmp(info)
    buf = io.BytesIO()
    if image.mode in ("RGBA", "LA"):
        pnginfo = PngImagePlugin.PngInfo()
        pnginfo.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        image.convert("RGBA").save(buf, "PNG", optimize=False, pnginfo=pnginfo)
        ext = "png"
    else:
        image.convert("RGB").save(buf, "JPEG", quality=92, xmp=xmp)
        ext = "jpg"
    data = buf.getvalue()
    if c2pa.signing_enabled():
        data = sign_output(data, ext, info, job=job)
    return data, ext


def sign_output(data: bytes, ext: str, info: dict[str, Any], *, job: Any = None) -> bytes:
    """C2PA-sign an encoded output; the job's source image becomes the parent ingredient."""
    parent = None
    source = getattr(job, "source_image", None) if info.get("source_id") is not None else None
    if source is not None:
        try:
            with source.open_file() as fh:
                pdata = fh.read()
            pext = source.file.name.rsplit(".", 1)[-1] if "." in source.file.name else "jpg"
            parent = (pdata, pext, source.title)
        except Exception as exc:  # the source file is gone: say so in the manifest
            logger.warning("C2PA: source image %s unreadable (%s); no ingredient", source.pk, exc)
    generation = {
        k: info.get(k) for k in (
            "job_uuid", "job_id", "output_index", "operation", "seed", "source_id",
            "source_title", "watermark",
        ) if info.get(k) not in (None, "")
    }
    manifest = c2pa.build_manifest(
        title=f"{info.get('operation') or 'output'}-{info.get('job_id')}-{info.get('output_index')}.{ext}",
        created=info["digital_source_type"] == TRAINED,
        model_id=info.get("model_id") or "", model_sha256=info.get("model_sha256") or "",
        operation=info.get("operation") or "", extra=generation, has_parent=parent is not None,
    )
    return c2pa.sign(data, ext, manifest, parent=parent)
