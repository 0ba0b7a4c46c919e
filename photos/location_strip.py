"""Originals without their location: GPS EXIF, XMP and IPTC removed on the fly, losslessly.

Used for every file a share link serves unless its owner allowed location.
The stored original is never touched: the metadata segments at the head of the
file are rewritten in memory (they are small), and every other byte, the
compressed picture included, is copied through unchanged in chunks.

- JPEG: the APP1 EXIF segment is rebuilt by Pillow without the GPS IFD; XMP
  (APP1) and Photoshop/IPTC (APP13) segments, which can hold a place too, are
  dropped whole.
- PNG: the eXIf chunk and the XMP / raw-profile text chunks are dropped.
- MP4 / QuickTime: every `udta`, `meta` and `uuid` box (where ©xyz, loci,
  Apple's location key and XMP live) becomes a zero-filled `free` box. Sizes and
  offsets are unchanged, so the sample tables still point at the right bytes;
  players skip `free` boxes. Only the `moov` box (the index, small) is held.
- Anything else (HEIC, WebP, GIF, WebM, MKV, AVI) cannot be stripped here: a
  share link without location serves its display size only (see `can_strip`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO

from PIL import Image

CHUNK_SIZE = 64 * 1024
GPS_IFD = 0x8825

_JPEG_SOI = b"\xff\xd8"
_JPEG_SOS, _JPEG_EOI = 0xDA, 0xD9
_APP1, _APP13 = 0xE1, 0xED
_EXIF_HEADER = b"Exif\x00\x00"
# Standalone markers carry no length: TEM and the restart markers.
_NO_LENGTH = {0x01, *range(0xD0, 0xD8)}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Text chunks whose keyword says they hold XMP, EXIF or IPTC (ImageMagick's "Raw profile type ...").
_PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}
_PNG_METADATA_KEYWORDS = (b"XML:com.adobe.xmp", b"Raw profile type")


class NotStrippable(Exception):
    """The file is not a well-formed file of a kind we can strip; serve a display size instead."""


def strips_in_place(content_type: str) -> bool:
    """Whether the stripped file keeps the stored size (so Content-Length can be sent)."""
    return content_type in _VIDEO_TYPES


def can_strip(content_type: str) -> bool:
    return content_type in STRIPPABLE_TYPES


def without_location(
    file: IO[bytes], content_type: str, byte_range: tuple[int, int] | None = None
) -> Iterator[bytes]:
    """The file's bytes without location metadata. Raises NotStrippable before yielding anything
    if the file's structure does not parse, so a response can still be refused cleanly.

    `byte_range` (first, last inclusive) is honoured for kinds stripped in place (videos).
    """
    if content_type in _VIDEO_TYPES:
        plan = _mp4_plan(file)
        start, end = byte_range or (0, plan[-1][0] + plan[-1][1] - 1)
        return _mp4_chunks(file, plan, start, end)
    if byte_range is not None:
        raise ValueError("byte ranges are only served for files stripped in place")
    head = _STRIPPERS[content_type](file)
    return _head_then_rest(head, file)


def _head_then_rest(head: bytes, file: IO[bytes]) -> Iterator[bytes]:
    try:
        yield head
        while chunk := file.read(CHUNK_SIZE):
            yield chunk
    finally:
        file.close()


# --- JPEG ---------------------------------------------------------------------------


def jpeg_head_without_location(file: IO[bytes]) -> bytes:
    """Every segment before the scan data, location removed; `file` is left at the scan marker."""
    if file.read(2) != _JPEG_SOI:
        raise NotStrippable("not a JPEG")
    out = [_JPEG_SOI]
    while True:
        marker = _read_exact(file, 2)
        if marker[0] != 0xFF:
            raise NotStrippable("JPEG segment marker expected")
        code = marker[1]
        if code == 0xFF:  # a fill byte before the real marker
            file.seek(-1, 1)
            continue
        if code in (_JPEG_SOS, _JPEG_EOI):
            file.seek(-2, 1)  # the scan (compressed picture) is copied through verbatim
            return b"".join(out)
        if code in _NO_LENGTH:
            out.append(marker)
            continue
        (length,) = struct.unpack(">H", _read_exact(file, 2))
        if length < 2:
            raise NotStrippable("bad JPEG segment length")
        payload = _read_exact(file, length - 2)
        kept = _jpeg_segment_kept(code, payload)
        if kept is not None:
            out.append(marker + struct.pack(">H", len(kept) + 2) + kept)


def _jpeg_segment_kept(code: int, payload: bytes) -> bytes | None:
    if code == _APP13:  # Photoshop IRB: IPTC city, sub-location, country
        return None
    if code != _APP1:
        return payload
    if payload.startswith(_EXIF_HEADER):
        return exif_without_gps(payload)
    return None  # XMP (and extended XMP): may carry exif:GPS* and photoshop:City


def exif_without_gps(payload: bytes) -> bytes | None:
    """The EXIF segment's payload without its GPS IFD; unchanged when it has none;
    None (drop the segment) when Pillow cannot rebuild it."""
    exif = Image.Exif()
    try:
        exif.load(payload)
        if GPS_IFD not in exif:
            return payload
        del exif[GPS_IFD]
        rebuilt = exif.tobytes()
    except Exception:  # noqa: BLE001 - any malformed EXIF: dropping it whole is the safe side
        return None
    if not rebuilt.startswith(_EXIF_HEADER):
        rebuilt = _EXIF_HEADER + rebuilt
    return rebuilt if len(rebuilt) <= 0xFFFF - 2 else None


# --- PNG ----------------------------------------------------------------------------


def png_head_without_location(file: IO[bytes]) -> bytes:
    """Chunks up to the first IDAT, location removed; `file` is left at that IDAT.

    Metadata after the picture data would be copied through, so a PNG with any
    is refused (NotStrippable) by `_png_tail_is_clean` rather than leaked.
    """
    if file.read(8) != _PNG_SIGNATURE:
        raise NotStrippable("not a PNG")
    out = [_PNG_SIGNATURE]
    while True:
        header = _read_exact(file, 8)
        length, chunk_type = struct.unpack(">I4s", header)
        if chunk_type == b"IDAT":
            start = file.tell() - 8
            _png_tail_is_clean(file, length)
            file.seek(start)
            return b"".join(out)
        body = _read_exact(file, length + 4)  # data and CRC
        if not _png_chunk_is_location(chunk_type, body):
            out.append(header + body)


def _png_tail_is_clean(file: IO[bytes], first_idat_length: int) -> None:
    """Walk the chunk headers after the first IDAT (seeking over data) for metadata."""
    file.seek(first_idat_length + 4, 1)
    while header := file.read(8):
        if len(header) < 8:
            raise NotStrippable("truncated PNG")
        length, chunk_type = struct.unpack(">I4s", header)
        if chunk_type == b"eXIf" or chunk_type in _PNG_TEXT_CHUNKS:
            body = _read_exact(file, length + 4)
            if _png_chunk_is_location(chunk_type, body):
                raise NotStrippable("PNG metadata after the picture data")
        else:
            file.seek(length + 4, 1)


def _png_chunk_is_location(chunk_type: bytes, body: bytes) -> bool:
    if chunk_type == b"eXIf":
        return True
    return chunk_type in _PNG_TEXT_CHUNKS and body.startswith(_PNG_METADATA_KEYWORDS)


# --- MP4 / QuickTime ------------------------------------------------------------------

_VIDEO_TYPES = {"video/mp4", "video/quicktime"}
_MP4_METADATA = {b"udta", b"meta", b"uuid"}
# Boxes inside moov whose children may hold metadata boxes.
_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}
MOOV_LIMIT = 64 * 1024 * 1024  # an hour of 4K video has a moov of a few MB


def _mp4_plan(file: IO[bytes]) -> list[tuple[int, int, bytes, bytes | None]]:
    """The top-level boxes as (offset, size, type, replacement bytes or None), checked end to end
    by seeking over their bodies; moov is read and rewritten, top-level metadata boxes renamed."""
    file.seek(0, 2)
    end = file.tell()
    plan, offset = [], 0
    while offset < end:
        file.seek(offset)
        size, box_type, header_size = _mp4_box_header(file.read(16), end - offset)
        if box_type == b"moov":
            if size > MOOV_LIMIT:
                raise NotStrippable("moov box too large")
            file.seek(offset)
            moov = bytearray(_read_exact(file, size))
            _mp4_rename_metadata(moov, header_size, size)
            plan.append((offset, size, box_type, bytes(moov)))
        elif box_type in _MP4_METADATA:
            _check_plain_header(header_size)
            plan.append((offset, size, box_type, b""))  # sent as a blank free box
        else:
            plan.append((offset, size, box_type, None))
        offset += size
    if not any(box_type == b"moov" for _, _, box_type, _ in plan):
        raise NotStrippable("no moov box")
    file.seek(0)
    return plan


def _mp4_box_header(data: bytes, remaining: int) -> tuple[int, bytes, int]:
    if len(data) < 8:
        raise NotStrippable("truncated MP4 box")
    size, box_type = struct.unpack(">I4s", data[:8])
    header_size = 8
    if size == 1:  # a 64-bit size follows the type
        if len(data) < 16:
            raise NotStrippable("truncated MP4 box")
        (size,) = struct.unpack(">Q", data[8:16])
        header_size = 16
    elif size == 0:  # the box runs to the end of the file
        size = remaining
    if size < header_size or size > remaining:
        raise NotStrippable("bad MP4 box size")
    return size, box_type, header_size


def _check_plain_header(header_size: int) -> None:
    # A blank free box keeps the 32-bit size only; a 64-bit size on a metadata box is unheard of.
    if header_size != 8:
        raise NotStrippable("metadata box with a 64-bit size")


def _mp4_rename_metadata(box: bytearray, start: int, end: int) -> None:
    """Rename metadata boxes among box[start:end]'s children `free`, recursing into containers."""
    offset = start
    while offset < end:
        size, box_type, header_size = _mp4_box_header(
            bytes(box[offset : offset + 16]), end - offset
        )
        if box_type in _MP4_METADATA:
            _check_plain_header(header_size)
            # Renamed and blanked: a free box's bytes are ignored, but could still be read.
            box[offset + 4 : offset + size] = b"free" + bytes(size - 8)
        elif box_type in _MP4_CONTAINERS:
            _mp4_rename_metadata(box, offset + header_size, offset + size)
        offset += size


def _mp4_chunks(
    file: IO[bytes], plan: list[tuple[int, int, bytes, bytes | None]], start: int, end: int
) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of the stripped file, which is as long as the stored one:
    a video player's range request is served without reading what comes before it."""
    try:
        for offset, size, _box_type, replacement in plan:
            low, high = max(start, offset), min(end + 1, offset + size)
            if low >= high:
                continue
            if replacement is None:
                yield from _file_range(file, low, high)
                continue
            if not replacement:  # a top-level metadata box, sent as a blank free box
                replacement_head = struct.pack(">I", size) + b"free"
                yield replacement_head[low - offset : high - offset]
                low = max(low, offset + len(replacement_head))
                while low < high:
                    blank = min(CHUNK_SIZE, high - low)
                    low += blank
                    yield bytes(blank)
                continue
            yield replacement[low - offset : high - offset]
    finally:
        file.close()


def _file_range(file: IO[bytes], low: int, high: int) -> Iterator[bytes]:
    file.seek(low)
    while low < high:
        chunk = file.read(min(CHUNK_SIZE, high - low))
        if not chunk:
            raise NotStrippable("file shrank while being read")
        low += len(chunk)
        yield chunk


def _read_exact(file: IO[bytes], size: int) -> bytes:
    data = file.read(size)
    if len(data) != size:
        raise NotStrippable("truncated file")
    return data


_STRIPPERS = {
    "image/jpeg": jpeg_head_without_location,
    "image/png": png_head_without_location,
}
STRIPPABLE_TYPES = (*_STRIPPERS, *sorted(_VIDEO_TYPES))
