"""Media on an S3-compatible bucket: a real S3 server process on loopback.

No dedicated S3 server installs from the registries here, so the server is moto's
standalone one (`python -m moto.server`, from requirements/test.txt): a separate
process speaking the S3 HTTP protocol, which boto3 and django-storages reach over
TCP exactly as they would reach MinIO or AWS. Nothing is patched in-process.
One server per test session; each test keeps its objects under its own key prefix
(AWS_LOCATION).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

BUCKET = "photo-album-test"
S3_KEYS = {"AWS_S3_ACCESS_KEY_ID": "test-key", "AWS_S3_SECRET_ACCESS_KEY": "test-secret"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """The URL of a moto S3 server process with the test bucket in it."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("moto's S3 server did not start") from None
                time.sleep(0.1)
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["AWS_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_S3_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def s3_prefix() -> str:
    """Each test's own key prefix (a worker's module overrides it with a module's)."""
    return f"library-{uuid.uuid4().hex[:8]}"


def s3_environment(endpoint: str, prefix: str) -> dict[str, str]:
    """The environment a web or worker host is given to keep its media in the bucket."""
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_LOCATION": prefix,
        **S3_KEYS,
    }


@pytest.fixture
def s3_env(s3_endpoint, s3_prefix) -> dict[str, str]:
    return s3_environment(s3_endpoint, s3_prefix)


@pytest.fixture
def s3_media(s3_env, settings, monkeypatch) -> None:
    """This test's Django on the bucket, as settings.py configures it from s3_env."""
    from photo_album.media_storage import media_csp_sources, media_storage

    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    settings.MEDIA_STORAGE = "s3"
    settings.MEDIA_SERVE_MODE = "redirect"
    settings.STORAGES = {**settings.STORAGES, "default": media_storage("s3")}
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    bucket_origin = media_csp_sources("redirect")
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **directives,
            "img-src": [*directives["img-src"], *bucket_origin],
            "media-src": [*directives["media-src"], *bucket_origin],
        }
    }


@pytest.fixture
def bucket(s3_endpoint, s3_prefix):
    """Read the bucket as an outsider would: keys under this test's prefix."""

    class Bucket:
        client = s3_client(s3_endpoint)

        def keys(self) -> set[str]:
            listed = self.client.list_objects_v2(Bucket=BUCKET, Prefix=f"{s3_prefix}/")
            return {o["Key"].removeprefix(f"{s3_prefix}/") for o in listed.get("Contents", [])}

        def read(self, name: str) -> bytes:
            body = self.client.get_object(Bucket=BUCKET, Key=f"{s3_prefix}/{name}")["Body"]
            return bytes(body.read())

        def put(self, name: str, data: bytes) -> None:
            self.client.put_object(Bucket=BUCKET, Key=f"{s3_prefix}/{name}", Body=data)

    return Bucket()


def local_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).exists() else []
