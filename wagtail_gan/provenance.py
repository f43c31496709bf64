"""Provenance of generated outputs: metadata, invisible watermark, C2PA, rights, verification.

Torch-free; used by the worker (``finalize_output``) and the web tier (rights, the checker).

Every output the job runner writes goes through :func:`finalize_output`, which

1. embeds an invisible watermark naming the job and output index (``wagtail_gan.watermark``;
   survives JPEG quality 75), unless ``WAGTAIL_GAN["WATERMARK"]`` is False or the image is
   smaller than 32 px a side;
2. encodes the file (PNG when it has transparency, else JPEG q92) with an XMP packet: IPTC
   ``DigitalSourceType`` (``trainedAlgorithmicMedia`` for text-to-image,
   ``compositeWithTrainedAlgorithmicMedia`` for variants of a source), ``AISystemUsed`` (model
   id), ``AISystemVersionUsed`` (weights sha256), ``dc:source`` (the source image) and our own
   ``wgan:`` fields (job, output, operation, seed, watermark payload);
3. signs it with C2PA when ``C2PA_CERT_CHAIN`` and ``C2PA_PRIVATE_KEY`` are set
   (``c2pa.created`` or ``c2pa.opened`` + ``c2pa.edited``, the source as ``parentOf``
   ingredient, the model id and weights hash as software agent, no thumbnails by default).
   When signing is configured but fails, the job fails with the reason: a site that asked for
   signed outputs never gets unsigned ones silently.

:func:`inspect_file` answers "is this one of ours?" for ``manage.py gan_verify`` and the admin
page "Check an image".
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from . import c2pa_signing
from .conf import gan_settings

logger = logging.getLogger(__name__)

IPTC_DST = c2pa_signing.IPTC_DST
TRAINED = c2pa_signing.TRAINED
COMPOSITE = c2pa_signing.COMPOSITE
WGAN_NS = "https://wagtail-gan.org/ns/1.0/"
NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "wgan": WGAN_NS,
}
MAX_CHECK_BYTES = 50 * 1024 * 1024


# --------------------------------------------------------------------------- output files

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


def build_xmp(info: dict[str, Any]) -> bytes:
    """An XMP packet for an output (see the module docstring for the fields)."""
    attrs = {
        "Iptc4xmpExt:DigitalSourceType": IPTC_DST + info["digital_source_type"],
        "Iptc4xmpExt:AISystemUsed": info.get("model_id") or "",
        "Iptc4xmpExt:AISystemVersionUsed": (
            f"sha256:{info['model_sha256']}" if info.get("model_sha256") else ""
        ),
        "wgan:Job": info.get("job_uuid") or "",
        "wgan:JobId": info.get("job_id"),
        "wgan:Output": info.get("output_index"),
        "wgan:Operation": info.get("operation") or "",
        "wgan:Seed": info.get("seed"),
        "wgan:SourceImage": info.get("source_id"),
        "wgan:SourceTitle": info.get("source_title") or "",
        "wgan:Watermark": info.get("watermark") or "",
    }
    rights = info.get("rights") or {}
    if rights.get("credit"):
        attrs["photoshop:Credit"] = rights["credit"]
    for key in ("licence", "license"):
        if rights.get(key):
            attrs["xmpRights:WebStatement"] = rights[key]
            break
    attr_text = "".join(
        f"\n    {k}={quoteattr(str(v))}" for k, v in attrs.items() if v not in (None, "")
    )
    children = []
    if info.get("source_id") is not None:
        children.append(
            f"   <dc:source>{escape(_derived_text(info.get('source_title'), info['source_id']))}"
            "</dc:source>"
        )
    copyright_text = rights.get("copyright") or rights.get("rights")
    if copyright_text:
        children.append(
            '   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(str(copyright_text))}</rdf:li></rdf:Alt></dc:rights>"
        )
    ns_decl = "".join(
        f'\n    xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("x", "rdf")
    )
    body = "\n".join(children)
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{NS["x"]}">\n'
        f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
        f'  <rdf:Description rdf:about=""{ns_decl}{attr_text}>\n'
        f"{body}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _derived_text(title: str | None, pk: Any) -> str:
    return f"Derived from “{title or 'untitled'}” (Wagtail image {pk}); the source's rights apply."


def finalize_output(
    image: Image.Image, *, job: Any, index: int = 0, result: Any = None
) -> tuple[bytes, str]:
    """Encode a generated image for storage with its provenance; returns (bytes, extension).

    Images with transparency are stored as PNG, everything else as JPEG quality 92.
    """
    info = output_info(job, index, result)
    from . import watermark  # numpy: the worker always has it

    if gan_settings.WATERMARK and info["job_id"] is not None and min(image.size) >= watermark.MIN_SIDE:
        payload = watermark.Payload(watermark.KIND_JOB_OUTPUT, int(info["job_id"]) % 2**32, index % 32)
        image = watermark.embed(image, payload)
        info["watermark"] = payload.to_bytes().hex()
    xmp = build_xmp(info)
    buf = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        pnginfo = PngImagePlugin.PngInfo()
        pnginfo.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        image.convert("RGBA").save(buf, "PNG", optimize=False, pnginfo=pnginfo)
        ext = "png"
    else:
        image.convert("RGB").save(buf, "JPEG", quality=92, xmp=xmp)
        ext = "jpg"
    data = buf.getvalue()
    if c2pa_signing.signing_enabled():
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
    manifest = c2pa_signing.build_manifest(
        title=f"{info.get('operation') or 'output'}-{info.get('job_id')}-{info.get('output_index')}.{ext}",
        created=info["digital_source_type"] == TRAINED,
        model_id=info.get("model_id") or "", model_sha256=info.get("model_sha256") or "",
        operation=info.get("operation") or "", extra=generation, has_parent=parent is not None,
    )
    return c2pa_signing.sign(data, ext, manifest, parent=parent)


# --------------------------------------------------------------------------- rights

def _rights_fields(model_or_instance: Any) -> list[str]:
    names = []
    meta = getattr(model_or_instance, "_meta", None)
    if meta is None:
        return names
    for name in gan_settings.RIGHTS_FIELDS or []:
        try:
            f = meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(f, "concrete", False) and not f.is_relation:
            names.append(name)
    return names


def source_rights(source: Any) -> dict[str, Any]:
    """Values of the source's rights fields (``RIGHTS_FIELDS`` the image model has)."""
    if source is None:
        return {}
    return {
        name: getattr(source, name) for name in _rights_fields(source)
        if getattr(source, name) not in (None, "")
    }


def copy_rights(source: Any, target: Any) -> list[str]:
    """Copy rights fields (copyright, credit, licence...) from ``source`` to ``target`` where
    both image models have them and the target's is empty. Returns the names copied.
    Does not save ``target``."""
    if source is None:
        return []
    copied = []
    target_fields = set(_rights_fields(target))
    for name, value in source_rights(source).items():
        if name in target_fields and getattr(target, name) in (None, ""):
            setattr(target, name, value)
            copied.append(name)
    return copied


def rights_summary(variant: Any) -> dict[str, Any]:
    """What the admin and the API show about a variant's rights.

    ``{"derived_from": {"id", "title", "exists"} | None, "statement": str,
    "rights": {field: value}, "model": {"id", "sha256", "licence"}}``
    """
    source = variant.source_image if getattr(variant, "source_image_id", None) else None
    model = {"id": variant.model_id, "sha256": variant.model_sha256, "licence": _licence(variant.model_id)}
    if variant.source_image_pk is None and source is None:
        statement = "Generated from a text prompt"
        if variant.model_id:
            statement += f" by {variant.model_id}"
        if model["licence"]:
            statement += f"; model licence: {model['licence']}"
        return {"derived_from": None, "statement": statement + ".", "rights": {}, "model": model}
    title = source.title if source is not None else (variant.source_title or "a deleted image")
    statement = f"Derived from “{title}”; the source's rights apply."
    if source is None:
        statement += " (The source image has since been deleted.)"
    return {
        "derived_from": {
            "id": source.pk if source is not None else variant.source_image_pk,
            "title": title,
            "exists": source is not None,
        },
        "statement": statement,
        "rights": source_rights(source),
        "model": model,
    }


def _licence(model_id: str) -> str:
    if not model_id:
        return ""
    try:
        from .models_zoo import registry

        return registry.get(model_id).licence
    except Exception:  # unknown or site-removed model: the record still stands
        return ""


def check_source_not_protected(image: Any) -> None:
    """PermissionDenied when ``image`` sits in a collection listed in
    ``WAGTAIL_GAN["PROTECTED_COLLECTIONS"]`` (licensed stock, for example)."""
    from .permissions import is_protected

    if image is not None and is_protected(image):
        raise PermissionDenied(
            f"Images in the collection “{image.collection}” may not be used as sources "
            "for AI variants (WAGTAIL_GAN PROTECTED_COLLECTIONS)."
        )


# --------------------------------------------------------------------------- verification

def read_xmp(data: bytes) -> dict[str, str]:
    """Our fields from a file's XMP packet: DigitalSourceType, AISystemUsed, wgan:* ..."""
    match = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.S)
    fields: dict[str, str] = {}
    if not match:
        return fields
    # Several packets can exist (c2pa adds its own); read every one.
    for packet in re.findall(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.S):
        try:
            root = ET.fromstring(packet)
        except ET.ParseError:
            continue
        rev = {v: k for k, v in NS.items()}
        for desc in root.iter(f"{{{NS['rdf']}}}Description"):
            for key, value in desc.attrib.items():
                if key.startswith("{"):
                    uri, local = key[1:].split("}", 1)
                    if uri in rev and rev[uri] not in ("rdf", "x"):
                        fields[f"{rev[uri]}:{local}"] = value
            for child in desc:
                if not child.tag.startswith("{"):
                    continue
                uri, local = child.tag[1:].split("}", 1)
                if uri not in rev:
                    continue
                text = " ".join(t.strip() for t in child.itertext() if t.strip())
                if text:
                    fields[f"{rev[uri]}:{local}"] = text
    return fields


def _candidate_sizes() -> list[tuple[int, int]]:
    """Sizes of the originals a resized copy may come from: our variants' and pooled
    renditions' sizes."""
    try:
        from wagtail.images import get_image_model

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


def resolve_payload(payload: Any) -> dict[str, Any]:
    """Look a watermark payload (``watermark.Payload``) up: which job, which output, which
    kept variant."""
    from . import watermark
    from .models import GenerationJob, Variant

    found: dict[str, Any] = {"payload": str(payload)}
    if payload.kind == watermark.KIND_RENDITION:  # a pooled ML rendition (wagtail_gan.pools)
        from .models import RenditionJob

        rjob = RenditionJob.objects.filter(pk=payload.ident).select_related("image").first()
        if rjob is None:
            found["note"] = f"ML rendition job {payload.ident} no longer exists."
            return found
        found["rendition"] = {"job_id": rjob.pk, "filter_spec": rjob.filter_spec,
                              "pool_slot": payload.index, "rendition_id": rjob.rendition_id}
        found["image"] = {"id": rjob.image_id, "title": rjob.image.title}
        variant = Variant.objects.filter(image_id=rjob.image_id).first()
        if variant is not None:
            found["variant"] = _variant_dict(variant)
        found["note"] = (
            f"Pool slot {payload.index} of the rendition “{rjob.filter_spec}” of image "
            f"“{rjob.image.title}”: derived from it; the source's rights apply."
        )
        return found
    job = GenerationJob.objects.filter(pk=payload.ident).first()
    if job is None:
        found["note"] = f"Generation job {payload.ident} no longer exists."
        return found
    found["job"] = {
        "id": job.pk, "uuid": str(job.uuid), "operation": job.operation, "status": job.status,
        "created_at": job.created_at.isoformat(), "user": str(job.user) if job.user else "",
        "output_index": payload.index,
    }
    for variant in Variant.objects.filter(job=job).select_related("image", "source_image"):
        if int((variant.params or {}).get("candidate", 0)) == payload.index:
            found["variant"] = _variant_dict(variant)
            break
    else:
        found["note"] = (
            f"Output {payload.index} of job {job.pk} was not kept in the library"
            + (" (another candidate was)." if job.result_image_id else ".")
        )
        if job.source_image_id:
            found["source"] = {"id": job.source_image_id, "title": job.source_image.title}
    return found


def _variant_dict(variant: Any) -> dict[str, Any]:
    return {
        "id": variant.pk,
        "image_id": variant.image_id,
        "image_title": variant.image.title,
        "operation": variant.operation,
        "model_id": variant.model_id,
        "model_sha256": variant.model_sha256,
        "seed": variant.seed,
        "created_at": variant.created_at.isoformat(),
        "rights": rights_summary(variant),
    }


def inspect_file(data: bytes, *, name: str = "", use_database: bool = True) -> dict[str, Any]:
    """Everything we can tell about a file: is it ours (watermark, XMP), which job/variant,
    from which source, and does its C2PA manifest validate. Never raises for bad input."""
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
    report["c2pa"] = c2pa_signing.read(data).as_dict()

    wm: dict[str, Any] = {"found": False}
    try:
        from . import watermark
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
                        report["match"] = resolve_payload(detection.payload)
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
                watermark.Payload(watermark.KIND_JOB_OUTPUT, ident, index)
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
