"""Provenance of generated videos (worker side): the same facts an image variant records -
operation, model id, weights sha256, parameters, user, sources - written into the MP4's
``comment`` tag as JSON, kept on the ``VideoJob`` row, and signed into the file with C2PA
when the site signs (``C2PA_CERT_CHAIN``/``C2PA_PRIVATE_KEY``; c2pa supports MP4/BMFF): the
sources are its ingredients (the video, or every still of a clip), the AI step a
``c2pa.edited`` action naming the model.
A site that asked for signing never gets an unsigned video silently: the job fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wagtail.images import get_image_model

from wagtail_gan import __version__
from wagtail_gan.provenance import COMPOSITE, c2pa

MIME = {"mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def info(*, job=None, kind: str, params: dict, engine, user=None,
         sources: list[dict] | None = None) -> dict[str, Any]:
    return {
        "generator": f"wagtail-gan {__version__}",
        "digital_source_type": COMPOSITE,
        "operation": f"video-{kind}",
        "job_uuid": str(getattr(job, "uuid", "") or ""),
        "job_id": getattr(job, "pk", None),
        "params": params,
        **engine.provenance(),
        "user": getattr(user, "pk", None),
        "sources": sources or [],
    }


def sign_file(path: str | Path, facts: dict[str, Any], parent: tuple[bytes, str, str] | None,
              components: list[tuple[bytes, str, str]] | None = None) -> str:
    """C2PA-sign the MP4 at ``path`` in place when signing is configured: ``parent`` (bytes,
    extension, title: the source video or the clip's first still) is the ``parentOf``
    ingredient, ``components`` (default: the clip's other stills, read from the library)
    ``componentOf`` ingredients placed into it. Returns "signed" or "unsigned (signing not
    configured)"; raises ``c2pa.SigningError``."""
    if not c2pa.signing_enabled():
        return "unsigned (signing not configured)"
    path = Path(path)
    extra = {k: facts.get(k) for k in ("job_uuid", "job_id", "operation", "engine", "params",
                                       "sources")
             if facts.get(k) not in (None, "", [])}
    manifest = c2pa.build_manifest(
        title=path.name, created=False, model_id=facts.get("model_id") or "",
        model_sha256=facts.get("model_sha256") or "", operation=facts["operation"],
        extra=extra, has_parent=parent is not None,
    )
    if components is None:
        components = _other_stills(facts)
    if components:
        actions = manifest["assertions"][0]["data"]["actions"]
        actions.insert(1 if parent is not None else 0, {
            "action": "c2pa.placed",
            "parameters": {"ingredientIds": [f"component{n}"
                                             for n in range(1, len(components) + 1)]}})
    signed = c2pa.sign(path.read_bytes(), "video/mp4", manifest,
                       parent=_typed(parent) if parent is not None else None,
                       components=[_typed(c) for c in components])
    path.write_bytes(signed)
    return "signed"


def _typed(ingredient: tuple[bytes, str, str]) -> tuple[bytes, str, str]:
    data, ext, title = ingredient
    return data, MIME.get(ext.lower().lstrip("."), ext), title


def still_ingredient(image) -> tuple[bytes, str, str]:
    """(bytes, extension, title) of a library image, as an ingredient."""
    with image.open_file() as fh:
        return fh.read(), Path(image.file.name).suffix or ".jpg", image.title


def _other_stills(facts: dict[str, Any]) -> list[tuple[bytes, str, str]]:
    """The stills of a clip after the first (the parent), from the image library; one
    deleted meanwhile is left out (its id and title stay in the generation assertion)."""
    ids = [s["id"] for s in facts.get("sources") or [] if s.get("type") == "image"][1:]
    if not ids:
        return []
    found = get_image_model().objects.in_bulk(ids)
    return [still_ingredient(found[pk]) for pk in ids if pk in found]
