"""Provenance of generated videos (worker side): the same facts an image variant records -
operation, model id, weights sha256, parameters, user, sources - written into the MP4's
``comment`` tag as JSON, kept on the ``VideoJob`` row, and signed into the file with C2PA
when the site signs (``C2PA_CERT_CHAIN``/``C2PA_PRIVATE_KEY``; c2pa supports MP4/BMFF).
A site that asked for signing never gets an unsigned video silently: the job fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wagtail_gan.provenance import COMPOSITE, c2pa

MIME = {"mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def info(*, job=None, kind: str, params: dict, engine, user=None,
         sources: list[dict] | None = None) -> dict[str, Any]:
    from wagtail_gan import __version__

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
              ) -> str:
    """C2PA-sign the MP4 at ``path`` in place when signing is configured. Returns "signed"
    or "unsigned (signing not configured)"; raises ``c2pa.SigningError``."""
    if not c2pa.signing_enabled():
        return "unsigned (signing not configured)"
    path = Path(path)
    extra = {k: facts.get(k) for k in ("job_uuid", "job_id", "operation", "engine", "params")
             if facts.get(k) not in (None, "")}
    manifest = c2pa.build_manifest(
        title=path.name, created=False, model_id=facts.get("model_id") or "",
        model_sha256=facts.get("model_sha256") or "", operation=facts["operation"],
        extra=extra, has_parent=parent is not None,
    )
    if parent is not None:
        data, ext, title = parent
        parent = (data, MIME.get(ext.lower().lstrip("."), ext), title)
    path.write_bytes(c2pa.sign(path.read_bytes(), "video/mp4", manifest, parent=parent))
    return "signed"
