"""Create a development C2PA signing identity: a local CA and a leaf certificate it signed.

    manage.py gan_c2pa_devcert --dir data/c2pa [--force] [--days 365]

Writes ``ca.pem`` (the root: use it as ``C2PA_TRUST_ANCHORS``), ``chain.pem`` (leaf + CA:
``C2PA_CERT_CHAIN``) and ``key.pem`` (the leaf's EC P-256 key, mode 0600:
``C2PA_PRIVATE_KEY``). Existing files are kept unless ``--force``. For development and the
sandbox only: nobody else trusts this CA. Production sites use a certificate from a CA on the
C2PA trust list.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FILES = ("ca.pem", "chain.pem", "key.pem")


def default_dir() -> Path:
    return Path(getattr(settings, "BASE_DIR", None) or Path.cwd()) / "c2pa-dev"


def create_dev_identity(directory: Path, *, days: int = 365, name: str = "wagtail-gan development"):
    """Create ca.pem, chain.pem, key.pem in ``directory``; returns their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA"), org])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days * 10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} signer"), org])
    leaf = (
        x509.CertificateBuilder().subject_name(leaf_name).issuer_name(ca_name)
        .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        # c2pa requires emailProtection or documentSigning (or others) on the signer.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)

    def pem(cert):
        return cert.public_bytes(serialization.Encoding.PEM)

    paths = {n: directory / n for n in FILES}
    paths["ca.pem"].write_bytes(pem(ca))
    paths["chain.pem"].write_bytes(pem(leaf) + pem(ca))
    key_bytes = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(paths["key.pem"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    os.chmod(paths["key.pem"], 0o600)
    return paths


class Command(BaseCommand):
    help = "Create a development CA and C2PA signing certificate (ca.pem, chain.pem, key.pem)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=None, help="Output folder (default: <BASE_DIR>/c2pa-dev)")
        parser.add_argument("--days", type=int, default=365, help="Validity of the signing certificate")
        parser.add_argument("--force", action="store_true", help="Replace existing files")

    def handle(self, *args, dir=None, days=365, force=False, **options):
        directory = Path(dir) if dir else default_dir()
        if days < 1:
            raise CommandError("--days must be at least 1")
        existing = [n for n in FILES if (directory / n).exists()]
        if existing and not force:
            if len(existing) != len(FILES):
                raise CommandError(
                    f"{directory} holds only {', '.join(existing)}; use --force to recreate all."
                )
            self.stdout.write(f"Development C2PA identity already in {directory} (--force replaces it).")
        else:
            try:
                create_dev_identity(directory, days=days)
            except OSError as exc:
                raise CommandError(f"Cannot write to {directory}: {exc.strerror}") from None
            self.stdout.write(self.style.SUCCESS(f"Created a development C2PA identity in {directory}"))
        d = directory.resolve()
        self.stdout.write(
            "Settings:\n"
            "  WAGTAIL_GAN = {\n"
            f'      "C2PA_CERT_CHAIN": "{d / "chain.pem"}",\n'
            f'      "C2PA_PRIVATE_KEY": "{d / "key.pem"}",\n'
            f'      "C2PA_TRUST_ANCHORS": "{d / "ca.pem"}",\n'
            "  }\n"
            "Development only: no one else trusts this CA."
        )
