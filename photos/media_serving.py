"""Handing a private media file to a viewer who may see it: which file, which headers, which bytes.

The caller has already checked access. In "django" mode the bytes come from
the storage API, with single-range support so a video player can seek (the
stock FileResponse always sends the whole file). In the two front-server
modes Django only names the file and nginx / Apache sends it. In "redirect"
mode (media on S3) the browser is sent to a short-lived presigned URL of the
bucket, which answers ranges itself.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from photos.kinds import kind_of
from photos.models import MediaItem
from photos.services.media_files import signed_url

# Nothing of a private album may be usable from a shared browser's cache after
# logout. Originals are never stored at all (`no-store`: they are opened one at a
# time, so re-fetching costs little). Thumbnails and posters fill every grid, so
# they may be stored but are revalidated on each use (`no-cache`): a cheap 304
# while logged in (ETag below), the login page after logout.
CACHE_CONTROL = {
    "original": "private, no-store",
    "thumbnail": "private, no-cache",
    "poster": "private, no-cache",
}
CHUNK_SIZE = 64 * 1024
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The Range header asks for bytes the file does not have (answer 416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in HTTP

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range asked for, or None to send the whole file.

    Only a single `bytes=a-b`, `bytes=a-` or `bytes=-n` is honoured. Several
    ranges, other units or bad syntax are ignored and the whole file goes out
    with 200, which RFC 9110 (14.2) allows; browsers' media players only ever
    ask for one range.
    """
    match = _SINGLE_RANGE.match((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start, end = int(first), int(last) if last else None
    if end is not None and end < start:  # syntactically invalid: ignore it
        return None
    if start >= size:
        raise RangeNotSatisfiable
    end = size - 1 if end is None else min(end, size - 1)
    return ByteRange(start, end)


def media_field(item: MediaItem, variant: str) -> FieldFile:
    """The stored file behind a variant, or 404 (a photo has no poster; a file may be missing)."""
    if variant not in kind_of(item).variants:
        raise Http404("No such media variant")
    field_file: FieldFile = getattr(item, variant)
    if not field_file.name:
        raise Http404("This item has no such file")
    return field_file


def media_content_type(item: MediaItem, variant: str, name: str) -> str:
    if variant == "original" and item.content_type:
        return item.content_type
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def media_etag(item: MediaItem, variant: str, name: str) -> str:
    # A stored file never changes under its name (a new file gets a new name).
    return (
        '"'
        + hashlib.sha256(f"{item.checksum_sha256}:{variant}:{name}".encode()).hexdigest()[:32]
        + '"'
    )


def media_response(
    *, item: MediaItem, variant: str, range_header: str | None, if_none_match: str | None = None
) -> HttpResponseBase:
    field_file = media_field(item, variant)
    etag = media_etag(item, variant, field_file.name or "")
    response: HttpResponseBase
    if variant != "original" and if_none_match and etag in if_none_match:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        response["Cache-Control"] = CACHE_CONTROL[variant]
        return response
    name = field_file.name or ""  # media_field() only returns files that have a name
    content_type = media_content_type(item, variant, name)
    mode = settings.MEDIA_SERVE_MODE
    if mode == "redirect":
        return bucket_redirect(item, variant, field_file, content_type)
    if mode == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + quote(name)
    elif mode == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = field_file.storage.path(name)
    else:
        try:
            response = storage_response(
                field_file.storage, name, content_type, range_header=range_header
            )
        except FileNotFoundError:
            # The row outlived its file (restored backup, manual deletion): the page
            # shows a placeholder for the 404 (static/photos/boot.js).
            raise Http404("The file is missing from storage") from None
    response["Cache-Control"] = CACHE_CONTROL[variant]
    if variant != "original":
        response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    if variant == "original":
        response["Content-Disposition"] = original_disposition(item)
    return response


def original_disposition(item: MediaItem) -> str:
    # The client's name, quoted or RFC 5987-encoded by Django, never raw.
    return (
        content_disposition_header(
            as_attachment=False, filename=item.original_filename or "original"
        )
        or ""
    )


def bucket_redirect(
    item: MediaItem, variant: str, field_file: FieldFile, content_type: str
) -> HttpResponseBase:
    """302 to a presigned URL that the bucket serves with this view's headers.

    The redirect itself is never stored: its URL dies after MEDIA_URL_EXPIRE seconds.
    """
    url = signed_url(
        field_file.storage,
        field_file.name or "",
        content_type=content_type,
        cache_control=CACHE_CONTROL[variant],
        disposition=original_disposition(item) if variant == "original" else "inline",
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


def storage_response(
    storage: Storage, name: str, content_type: str, *, range_header: str | None
) -> HttpResponseBase:
    size = storage.size(name)
    response: HttpResponseBase
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    file = storage.open(name, "rb")
    if byte_range is None:
        response = FileResponse(file, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            file_slice(file, byte_range), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
        response["Content-Length"] = str(byte_range.length)
    response["Accept-Ranges"] = "bytes"
    return response


def file_slice(file: IO[bytes], byte_range: ByteRange) -> Iterator[bytes]:
    """Stream one range in chunks; the file is closed however the response ends."""
    try:
        file.seek(byte_range.start)
        remaining = byte_range.length
        while remaining > 0:
            chunk = file.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        file.close()
