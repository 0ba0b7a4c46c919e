"""Zip downloads streamed with bounded memory, whatever the album's size.

The stdlib zipfile writes into a sink that the generator empties after every
chunk, so at most one chunk of one file (plus the central directory, ~100
bytes an entry) is held at a time. Entries are stored, not deflated: photos
and videos are compressed already, and storing keeps throughput at disk speed.
Originals are read through the storage API only.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from photos.location_strip import (
    CHUNK_SIZE,
    STRIPPABLE_TYPES,
    NotStrippable,
    without_location,
)
from photos.models import Album, MediaItem

# Path separators and control characters never reach a name inside the zip.
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class _Sink:
    """A write-only file for ZipFile: it has no tell(), so zipfile streams (data descriptors)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


@dataclass(frozen=True)
class ZipEntry:
    name: str
    chunks: Iterable[bytes]
    modified: tuple[int, int, int, int, int, int]


def zip_stream(entries: Iterable[ZipEntry]) -> Iterator[bytes]:
    """The bytes of a zip of `entries`, produced as their chunks are read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=entry.modified)
            # Sizes are unknown up front (a stripped original is shorter than the stored one).
            with archive.open(info, mode="w", force_zip64=True) as member:
                for chunk in entry.chunks:
                    member.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


class UniqueNames:
    """Names made safe and unique, case-insensitively: a.jpg, a (2).jpg, a (3).jpg."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, raw: str) -> str:
        name = _UNSAFE_NAME.sub("_", raw).strip(" .") or "file"
        stem, dot, ext = name.rpartition(".")
        if not stem:  # ".profile" or no dot at all: the whole name is the stem
            stem, dot, ext = name, "", ""
        candidate, n = name, 1
        while candidate.lower() in self._taken:
            n += 1
            candidate = f"{stem} ({n}){dot}{ext}"
        self._taken.add(candidate.lower())
        return candidate


def album_zip_stream(
    *, album: Album, item_ids: Sequence[int] | None = None, strip_location: bool
) -> Iterator[bytes]:
    """The album, or only the items `item_ids` of it, as a streamed zip (see items_zip_stream)."""
    items = album.items.all()
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    return items_zip_stream(items, strip_location=strip_location)


def items_zip_stream(items: QuerySet[MediaItem], *, strip_location: bool) -> Iterator[bytes]:
    """A zip of the items' originals, oldest upload first, names kept and de-duplicated.

    With `strip_location`, originals whose location cannot be stripped (HEIC,
    WebP, WebM...; see photos.location_strip) are left out rather than leaked.
    """
    rows = items.order_by("uploaded_at", "pk").only(
        "kind", "original", "original_filename", "content_type", "uploaded_at", "taken_at"
    )
    if strip_location:
        rows = rows.filter(content_type__in=STRIPPABLE_TYPES)
    # iterator(): a 100,000-item album is never loaded into memory at once.
    rows_iter = rows.iterator(chunk_size=500)
    return zip_stream(_entries(rows_iter, strip_location=strip_location))


def _entries(rows: Iterator[MediaItem], *, strip_location: bool) -> Iterator[ZipEntry]:
    names = UniqueNames()
    for item in rows:
        file = item.original.storage.open(item.original.name, "rb")
        try:
            chunks = (
                without_location(file, item.content_type) if strip_location else _file_chunks(file)
            )
        except NotStrippable:
            file.close()
            continue
        yield ZipEntry(
            name=names.take(item.original_filename), chunks=chunks, modified=_zip_time(item)
        )


def _file_chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(CHUNK_SIZE):
            yield chunk
    finally:
        file.close()


def _zip_time(item: MediaItem) -> tuple[int, int, int, int, int, int]:
    when = timezone.localtime(item.taken_at or item.uploaded_at)
    if when.year < 1980:  # the zip format's epoch
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)
