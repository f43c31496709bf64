"""C2PA content credentials: sign generated outputs, read and validate manifests.

Uses c2pa-python (the ``provenance`` extra; ``import c2pa`` below is that library, not this
module); it is imported lazily so the web tier runs without it (then files are stored unsigned
and the checker says C2PA is unavailable).

Signing is on when ``WAGTAIL_GAN["C2PA_CERT_CHAIN"]`` and ``["C2PA_PRIVATE_KEY"]`` are set
(paths to PEM files, or the PEM text itself). The chain is the signing (leaf) certificate
followed by its issuers; a self-signed leaf is refused by c2pa. ``manage.py gan_c2pa_devcert``
makes a development CA and leaf. Validation trusts the PEM roots in ``C2PA_TRUST_ANCHORS``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .. import __version__
from ..conf import gan_settings
from .metadata import COMPOSITE, IPTC_DST, TRAINED

logger = logging.getLogger(__name__)

ASSERTION_LABEL = "org.wagtail-gan.generation"

MIME_BY_EXT = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
    "gif": "image/gif", "avif": "image/avif", "tif": "image/tiff", "tiff": "image/tiff",
}


class SigningError(RuntimeError):
    """Signing was requested but could not be done (bad certificate or key, c2pa missing)."""


def available() -> bool:
    try:
        import c2pa  # noqa: F401, PLC0415 - c2pa-python is the optional provenance extra
    except ImportError:
        return False
    return True


def _pem(value: Any, setting: str) -> bytes:
    """PEM text from a setting holding a path or the PEM itself."""
    if isinstance(value, bytes):
        text = value
    elif isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        text = value.encode()
    else:
        path = Path(value)
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise ImproperlyConfigured(
                f'WAGTAIL_GAN["{setting}"]: cannot read {path}: {exc.strerror}. '
                "Run manage.py gan_c2pa_devcert for a development certificate."
            ) from None
    if b"-----BEGIN" not in text:
        raise ImproperlyConfigured(f'WAGTAIL_GAN["{setting}"] is not PEM data.')
    return text


def signing_enabled() -> bool:
    return bool(gan_settings.C2PA_CERT_CHAIN and gan_settings.C2PA_PRIVATE_KEY)


def trust_anchors_pem() -> str | None:
    anchors = gan_settings.C2PA_TRUST_ANCHORS
    if not anchors:
        return None
    return _pem(anchors, "C2PA_TRUST_ANCHORS").decode()


def _signer():
    import c2pa  # noqa: PLC0415 - the optional provenance extra

    chain = _pem(gan_settings.C2PA_CERT_CHAIN, "C2PA_CERT_CHAIN")
    key = _pem(gan_settings.C2PA_PRIVATE_KEY, "C2PA_PRIVATE_KEY")
    alg = _algorithm(key)
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, chain, key, None))


def _algorithm(key_pem: bytes):
    """ES256/ES384/ES512 for EC keys, PS256 for RSA, Ed25519: from the key itself."""
    import c2pa  # noqa: PLC0415 - the optional provenance extra
    from cryptography.hazmat.primitives.asymmetric import (  # noqa: PLC0415 - provenance extra
        ec,
        ed25519,
        rsa,
    )
    from cryptography.hazmat.primitives.serialization import (  # noqa: PLC0415 - as above
        load_pem_private_key,
    )

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f'WAGTAIL_GAN["C2PA_PRIVATE_KEY"]: {exc}') from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: c2pa.C2paSigningAlg.ES256, 384: c2pa.C2paSigningAlg.ES384,
                521: c2pa.C2paSigningAlg.ES512}[key.curve.key_size]
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    raise ImproperlyConfigured('WAGTAIL_GAN["C2PA_PRIVATE_KEY"]: unsupported key type')


def build_manifest(
    *, title: str, created: bool, model_id: str, model_sha256: str, operation: str,
    extra: dict[str, Any] | None = None, has_parent: bool = False,
) -> dict[str, Any]:
    """The manifest definition: ``c2pa.created`` (text-to-image) or ``c2pa.opened`` +
    ``c2pa.edited`` (variants of a source, which is the ``parentOf`` ingredient)."""
    agent = {"name": model_id or "unknown model"}
    if model_sha256:
        agent["version"] = f"sha256:{model_sha256}"
    if created:
        actions = [{
            "action": "c2pa.created",
            "digitalSourceType": IPTC_DST + TRAINED,
            "softwareAgent": agent,
            "description": operation,
        }]
    else:
        actions = []
        if has_parent:
            actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["source"]}})
        actions.append({
            "action": "c2pa.edited" if has_parent else "c2pa.created",
            "digitalSourceType": IPTC_DST + (COMPOSITE if has_parent else TRAINED),
            "softwareAgent": agent,
            "description": operation,
        })
    assertions = [{"label": "c2pa.actions", "data": {"actions": actions}}]
    if extra:
        assertions.append({"label": ASSERTION_LABEL, "data": extra})
    return {
        "claim_generator_info": [{"name": "wagtail-gan", "version": __version__}],
        "title": title,
        "assertions": assertions,
    }


def sign(
    data: bytes, fmt: str, manifest: dict[str, Any], *,
    parent: tuple[bytes, str, str] | None = None,
    components: Sequence[tuple[bytes, str, str]] = (),
) -> bytes:
    """Sign ``data`` (file bytes, ``fmt`` an extension or MIME type) with the configured
    certificate; ``parent`` is (bytes, format, title) of the source image, ``components``
    more sources the same way (``componentOf`` ingredients labelled ``component1``...).
    Returns the signed file. Raises SigningError with a one-line reason."""
    try:
        import c2pa  # noqa: PLC0415 - the optional provenance extra
    except ImportError:
        raise SigningError(
            "C2PA signing is configured but c2pa-python is not installed "
            "(pip install 'wagtail-gan[provenance]')."
        ) from None
    mime = MIME_BY_EXT.get(fmt.lower().lstrip("."), fmt)
    thumbnails = bool(gan_settings.C2PA_THUMBNAILS)
    settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": thumbnails}}})
    try:
        signer = _signer()
        with c2pa.Context(settings=settings) as ctx, c2pa.Builder(manifest, context=ctx) as builder:
            ingredients = [(parent, "parentOf", "source")] if parent is not None else []
            ingredients += [(c, "componentOf", f"component{n}")
                            for n, c in enumerate(components, start=1)]
            for (pdata, pfmt, ptitle), relationship, label in ingredients:
                builder.add_ingredient(
                    {"title": ptitle, "relationship": relationship, "label": label},
                    MIME_BY_EXT.get(pfmt.lower().lstrip("."), pfmt), io.BytesIO(pdata),
                )
            dst = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), dst)
            return dst.getvalue()
    except ImproperlyConfigured as exc:
        raise SigningError(str(exc)) from None
    except c2pa.C2paError as exc:
        raise SigningError(f"C2PA signing failed: {str(exc).splitlines()[0]}") from None


@dataclass
class C2paReport:
    """What a file's C2PA manifest says. ``state``: None (no manifest), "Invalid" (tampered or
    broken), "Valid" (intact, signer not in the trust anchors) or "Trusted"."""

    state: str | None = None
    manifest: dict[str, Any] | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def actions(self) -> list[dict[str, Any]]:
        for assertion in (self.manifest or {}).get("assertions", []):
            if assertion.get("label", "").startswith("c2pa.actions"):
                return assertion.get("data", {}).get("actions", [])
        return []

    @property
    def generation(self) -> dict[str, Any]:
        for assertion in (self.manifest or {}).get("assertions", []):
            if assertion.get("label") == ASSERTION_LABEL:
                return assertion.get("data", {})
        return {}

    @property
    def ingredients(self) -> list[dict[str, Any]]:
        return (self.manifest or {}).get("ingredients", [])

    @property
    def signer(self) -> str:
        info = (self.manifest or {}).get("signature_info") or {}
        parts = [info.get("common_name"), info.get("issuer")]
        return " / ".join(p for p in parts if p)

    def summary(self) -> str:
        if self.error:
            return self.error
        if self.state is None:
            return "No C2PA manifest."
        if self.state == "Trusted":
            return f"C2PA manifest valid, signed by a trusted certificate ({self.signer})."
        if self.state == "Valid":
            return (f"C2PA manifest intact, but the signer ({self.signer}) is not in the "
                    "configured trust anchors.")
        codes = ", ".join(sorted({f.get("code", "?") for f in self.failures})) or "unknown"
        return f"C2PA manifest does NOT validate ({codes}): the file was altered after signing."

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state, "summary": self.summary(), "signer": self.signer,
            "actions": self.actions, "generation": self.generation,
            "ingredients": [
                {k: i.get(k) for k in ("title", "relationship", "format")} for i in self.ingredients
            ],
            "failures": self.failures,
        }


def read(data: bytes, fmt: str | None = None) -> C2paReport:
    """Read and validate the manifest embedded in ``data`` against ``C2PA_TRUST_ANCHORS``."""
    try:
        import c2pa  # noqa: PLC0415 - the optional provenance extra
    except ImportError:
        return C2paReport(error="c2pa-python is not installed: C2PA manifests cannot be checked.")
    options: dict[str, Any] = {"verify": {"verify_trust": True}}
    try:
        anchors = trust_anchors_pem()
    except ImproperlyConfigured as exc:
        return C2paReport(error=str(exc))
    if anchors:
        options["trust"] = {"trust_anchors": anchors}
    mime = MIME_BY_EXT.get((fmt or "").lower().lstrip("."), fmt) or _sniff_mime(data)
    if not mime:
        return C2paReport(error="Unknown file format: C2PA manifests cannot be checked.")
    try:
        with c2pa.Context(settings=c2pa.Settings.from_dict(options)) as ctx:
            reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, ctx)
            if reader is None:
                return C2paReport()
            with reader:
                results = reader.get_validation_results() or {}
                failures = list((results.get("activeManifest") or {}).get("failure", []))
                return C2paReport(
                    state=reader.get_validation_state(),
                    manifest=reader.get_active_manifest(),
                    failures=failures,
                )
    except c2pa.C2paError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return C2paReport(state="Invalid", error=f"C2PA manifest unreadable: {message}")


def _sniff_mime(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def check_messages() -> list:
    """System check W006: C2PA settings that cannot work (read by ``checks.check_settings``)."""
    problems = []
    chain, key = gan_settings.C2PA_CERT_CHAIN, gan_settings.C2PA_PRIVATE_KEY
    if bool(chain) != bool(key):
        problems.append("only one of C2PA_CERT_CHAIN and C2PA_PRIVATE_KEY is set: outputs are "
                        "not signed")
    for name, value in (("C2PA_CERT_CHAIN", chain), ("C2PA_PRIVATE_KEY", key),
                        ("C2PA_TRUST_ANCHORS", gan_settings.C2PA_TRUST_ANCHORS)):
        if value:
            try:
                _pem(value, name)
            except ImproperlyConfigured as exc:
                problems.append(str(exc))
    if chain and key and not available():
        problems.append("C2PA signing is configured but c2pa-python is not installed here; "
                        "jobs fail until the worker has it (pip install 'wagtail-gan[provenance]')")
    return [
        checks.Warning(p, hint="See the provenance page of the developer guide (docs/developer-guide/provenance.md).", id="wagtail_gan.W006")
        for p in problems
    ]
