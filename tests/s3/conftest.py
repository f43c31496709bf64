"""An S3-compatible server for the storage tests: moto's server mode on 127.0.0.1 with a random
port, reached through django-storages' ``S3Storage`` (real HTTP; no mocked storage calls)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

BUCKET = "gan-media"


@pytest.fixture(scope="session")
def s3_endpoint():
    pytest.importorskip("storages.backends.s3")
    server_mod = pytest.importorskip("moto.server")
    import boto3  # noqa: PLC0415 - the s3 extra: skipped above when it is not installed

    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing").create_bucket(
        Bucket=BUCKET)
    yield endpoint
    server.stop()


def s3_storages(endpoint: str) -> dict:
    """STORAGES for Wagtail images and renditions on S3 (the settings the README documents)."""
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "access_key": "testing",
        "secret_key": "testing",
        "region_name": "us-east-1",
        "file_overwrite": False,  # two uploads of IMG_1.jpg must not overwrite each other
        "querystring_auth": False,  # public rendition URLs (pages, CDN, status endpoint)
        "addressing_style": "path",
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        # Outputs waiting for review: private (no public URL; signed URLs if any).
        "wagtail_gan_pending": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            **options, "location": "gan-private", "querystring_auth": True,
            "default_acl": "private"}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def s3_storage(s3_endpoint, settings, dummy_models):
    """Images, renditions and pending outputs on the S3 server for this test."""
    settings.STORAGES = s3_storages(s3_endpoint)
    yield default_storage
