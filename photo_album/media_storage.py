"""The media storage backend that settings.STORAGES["default"] names, from the environment.

Local disk (MEDIA_ROOT) is the default. MEDIA_STORAGE=s3 puts every media file
in an S3-compatible bucket through django-storages; its variables keep the names
django-storages and boto3 use (AWS_*), so their documentation applies as is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from photo_album.env import env_int, env_str

# The serve modes each storage allows; the first is its default.
MEDIA_SERVE_MODES = {
    "local": ("django", "x-accel-redirect", "x-sendfile"),
    "s3": ("redirect", "django"),
}


def media_storage(kind: str) -> dict[str, Any]:
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options()}


def s3_options() -> dict[str, Any]:
    bucket = env_str("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    endpoint = env_str("AWS_S3_ENDPOINT_URL", "") or None
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
        # An optional key prefix, so one bucket can hold several libraries.
        "location": env_str("AWS_LOCATION", ""),
        # Path-style addressing by default with an endpoint of one's own (MinIO,
        # Ceph and moto answer it; bucket subdomains need DNS they rarely have).
        "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "path" if endpoint else "") or None,
        "signature_version": "s3v4",
        # Private objects, reached only through presigned URLs the media view signs
        # after its access check; a stored name is never overwritten.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env_int("MEDIA_URL_EXPIRE", 300),
        "file_overwrite": False,
        # A file read from the bucket is spooled to a temporary file past this size
        # (a worker reading a video); smaller ones (thumbnails) stay in memory.
        "max_memory_size": env_int("AWS_S3_MAX_MEMORY_SIZE", 16 * 1024 * 1024),
        # The keys: django-storages reads AWS_S3_ACCESS_KEY_ID / AWS_S3_SECRET_ACCESS_KEY
        # (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) itself; unset, boto3 looks further.
    }


def media_csp_sources(serve_mode: str) -> list[str]:
    """Origins the pages may load media from besides their own: the bucket's, when the
    media view redirects there."""
    if serve_mode != "redirect":
        return []
    endpoint = env_str("AWS_S3_ENDPOINT_URL", "")
    if not endpoint:
        return ["https://*.amazonaws.com"]
    parts = urlsplit(endpoint)
    return [f"{parts.scheme}://{parts.netloc}"]
