"""Decide what an upload really is by decoding it, never by its name or MIME type.

A photo must decode completely with Pillow; a video must open with PyAV in
one of the accepted containers and yield a decodable frame. Anything else is
refused with a message the uploader can act on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

import av
import pillow_heif
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageOps

from ai_engine.errors import UnreadableMedia
from ai_engine.media import check_pixels
from ai_engine.media import read_exif as engine_read_exif

pillow_heif.register_heif_opener()

# Pillow format name -> (stored extension, content type).
PHOTO_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "MPO": ("jpg", "image/jpeg"),  # multi-picture JPEG written by some cameras
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
    "HEIF": ("heic", "image/heic"),
}
# PyAV demuxer name -> (stored extension, content type). FFmpeg guesses
# formats generously (text, playlists, image sequences), so only these pass.
VIDEO_FORMATS: dict[str, tuple[str, str]] = {
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", "video/mp4"),
    "matroska,webm": ("mkv", "video/x-matroska"),
    "avi": ("avi", "video/x-msvideo"),
}


class UploadRejected(Exception):
    """The file is not something we accept; the message is shown to the uploader."""


@dataclass
class ExifFacts:
    taken_at: datetime | None = None
    camera_make: str = ""
    camera_model: str = ""
    gps_latitude: float | None = None
    gps_longitude: float | None = None


@dataclass
class PhotoProbe:
    extension: str
    content_type: str
    width: int
    height: int
    image: Image.Image  # decoded, upright (EXIF orientation applied), small enough to thumbnail
    exif: ExifFacts = field(default_factory=ExifFacts)


@dataclass
class VideoProbe:
    extension: str
    content_type: str
    width: int
    height: int
    duration_seconds: float | None
    poster: Image.Image


def check_size(size: int) -> None:
    if size == 0:
        raise UploadRejected("The file is empty.")
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise UploadRejected(
            f"The file is {size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB."
        )


def looks_like_photo(file: IO[bytes]) -> bool:
    """Cheap header check (no decode) used to pick the photo or video path."""
    file.seek(0)
    try:
        with Image.open(file) as img:
            return img.format in PHOTO_FORMATS
    except Image.DecompressionBombError:
        return True  # a photo, too big to open: probe_photo refuses it in the right words
    except Exception:  # noqa: BLE001 - any failure to identify means "not a photo"
        return False
    finally:
        file.seek(0)


def probe_photo(file: IO[bytes], *, decode_size: int) -> PhotoProbe:
    file.seek(0)
    try:
        with warnings.catch_warnings():
            # UPLOAD_MAX_PIXELS decides below, in words; Pillow's error (at twice
            # it, see PhotosConfig.ready) still stops a bomb before any decoding.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(file)
            if img.format not in PHOTO_FORMATS:
                raise UploadRejected(f"{img.format} images are not supported.")
            width, height = img.size
            # The engine's cap: what is stored here, a worker can analyse.
            check_pixels(width, height, settings.UPLOAD_MAX_PIXELS)
            exif = read_exif(img)
            # Decode small for speed (JPEG DCT scaling); a truncated file still fails.
            img.draft("RGB", (decode_size, decode_size))
            img.load()
            upright = ImageOps.exif_transpose(img)
    except UploadRejected:
        raise
    except UnreadableMedia as exc:
        raise UploadRejected(str(exc)) from None
    except Image.DecompressionBombError:
        raise UploadRejected("The image is too large to decode safely.") from None
    except Image.UnidentifiedImageError:
        raise UploadRejected("This is not a photo or video we can read.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected(f"The image is damaged or incomplete ({exc}).") from None
    extension, content_type = PHOTO_FORMATS[img.format]
    # EXIF orientations 5-8 swap the sides: report the upright size.
    if upright.size != img.size and upright.size == img.size[::-1]:
        width, height = height, width
    return PhotoProbe(extension, content_type, width, height, upright, exif)


def probe_video(file: IO[bytes]) -> VideoProbe:
    file.seek(0)
    try:
        with av.open(file, mode="r") as container:
            fmt = container.format.name
            if fmt not in VIDEO_FORMATS:
                raise UploadRejected("This is not a photo or video we can read.")
            if not container.streams.video:
                raise UploadRejected("The file has no video track.")
            stream = container.streams.video[0]
            poster = first_frame(container, stream)
            duration = video_duration(container, stream)
            width, height = stream.codec_context.width, stream.codec_context.height
    except UploadRejected:
        raise
    except (av.FFmpegError, ValueError, OSError, UnicodeDecodeError):
        raise UploadRejected("This is not a photo or video we can read.") from None
    finally:
        file.seek(0)
    extension, content_type = VIDEO_FORMATS[fmt]
    if fmt == "matroska,webm" and stream.codec_context.name in {"vp8", "vp9", "av1"}:
        extension, content_type = "webm", "video/webm"
    return VideoProbe(extension, content_type, width, height, duration, poster)


def first_frame(container: av.container.InputContainer, stream) -> Image.Image:
    for frame in container.decode(stream):
        return frame.to_image()
    raise UploadRejected("The video has no frame that can be decoded.")


def video_duration(container: av.container.InputContainer, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


# --- EXIF ---------------------------------------------------------------------


def read_exif(img: Image.Image) -> ExifFacts:
    """The engine's EXIF reader (ai_engine.media), so a row and its analysis agree on
    time, camera and place; only the row's needs are added here."""
    facts = engine_read_exif(img)
    taken_at = facts.taken_at
    if taken_at is not None and timezone.is_naive(taken_at):
        # No UTC offset in the file: cameras are set to local time, read in the server's zone.
        taken_at = timezone.make_aware(taken_at)
    latitude, longitude = facts.gps or (None, None)
    return ExifFacts(
        taken_at=taken_at,
        camera_make=facts.make[:100],
        camera_model=facts.model[:100],
        gps_latitude=latitude,
        gps_longitude=longitude,
    )


def image_to_bytes(image: Image.Image, *, max_side: int, fmt: str = "WEBP") -> bytes:
    """A thumbnail or poster, encoded."""
    thumb = image.convert("RGB")
    thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, fmt, quality=82)
    return buffer.getvalue()
