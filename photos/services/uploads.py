"""Turning an uploaded file into a stored Photo or Video row, `pending` for the AI."""

from __future__ import annotations

import hashlib
import uuid
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from photos.kinds import kind_of
from photos.models import Album, MediaItem, MediaKind, Photo, ProcessingStatus, Video
from photos.selectors.duplicates import image_hash
from photos.services.ai_settings import ai_settings_get
from photos.services.media_probe import (
    PhotoProbe,
    UploadRejected,
    VideoProbe,
    check_size,
    image_to_bytes,
    looks_like_photo,
    probe_photo,
    probe_video,
)
from photos.services.processing import item_enqueue_on_commit
from photos.services.search_index import item_search_index_update
from photos.services.text import CONTROL


def item_create_from_upload(
    *, album: Album, uploader: AbstractBaseUser, file: IO[bytes], filename: str, size: int
) -> MediaItem:
    """Store an upload as a photo or a video, whichever its content says it is."""
    check_size(size)
    filename = filename_clean(filename)
    if looks_like_photo(file):
        return photo_create(album=album, uploader=uploader, file=file, filename=filename, size=size)
    return video_create(album=album, uploader=uploader, file=file, filename=filename, size=size)


def filename_clean(filename: str) -> str:
    """The client's name as data: control characters out, at most 255 characters with
    its extension kept (PostgreSQL refuses NUL; a name is shown, never used as a path)."""
    name = CONTROL.sub("", filename).strip() or "unnamed"
    if len(name) <= 255:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[:255]
    return stem[: 254 - len(extension)] + "." + extension


def photo_create(
    *, album: Album, uploader: AbstractBaseUser, file: IO[bytes], filename: str, size: int
) -> Photo:
    check_size(size)
    probe: PhotoProbe = probe_photo(file, decode_size=settings.THUMBNAIL_SIZE * 2)
    checksum = sha256_of(file)
    check_not_duplicate(album=album, checksum=checksum)
    photo = Photo(
        album=album,
        uploader=uploader,
        original_filename=filename[:255],
        content_type=probe.content_type,
        size_bytes=size,
        checksum_sha256=checksum,
        width=probe.width,
        height=probe.height,
        taken_at=probe.exif.taken_at,
        camera_make=probe.exif.camera_make,
        camera_model=probe.exif.camera_model,
        gps_latitude=probe.exif.gps_latitude,
        gps_longitude=probe.exif.gps_longitude,
        image_hash=image_hash(probe.image),
    )
    thumbnail = image_to_bytes(probe.image, max_side=settings.THUMBNAIL_SIZE)
    return item_store(photo, file=file, extension=probe.extension, thumbnail=thumbnail)


def video_create(
    *, album: Album, uploader: AbstractBaseUser, file: IO[bytes], filename: str, size: int
) -> Video:
    check_size(size)
    probe: VideoProbe = probe_video(file)
    checksum = sha256_of(file)
    check_not_duplicate(album=album, checksum=checksum)
    video = Video(
        album=album,
        uploader=uploader,
        original_filename=filename[:255],
        content_type=probe.content_type,
        size_bytes=size,
        checksum_sha256=checksum,
        width=probe.width,
        height=probe.height,
        duration_seconds=probe.duration_seconds,
        image_hash=image_hash(probe.poster),
    )
    poster = image_to_bytes(probe.poster, max_side=1280, fmt="JPEG")
    thumbnail = image_to_bytes(probe.poster, max_side=settings.THUMBNAIL_SIZE)
    video.poster.name = default_storage.save(
        storage_name("posters", "video", "jpg"), ContentFile(poster)
    )
    return item_store(video, file=file, extension=probe.extension, thumbnail=thumbnail)


def item_store(item: MediaItem, *, file: IO[bytes], extension: str, thumbnail: bytes) -> MediaItem:
    """Write the files through the storage API, then commit the row as pending.

    Files go first so a committed row always has its files; if the row cannot
    be written, the files are removed again and nothing is left behind.
    """
    file.seek(0)
    item.original.name = default_storage.save(
        storage_name("originals", item.kind, extension), File(file)
    )
    item.thumbnail.name = default_storage.save(
        storage_name("thumbnails", item.kind, "webp"), ContentFile(thumbnail)
    )
    item.processing_status = ProcessingStatus.PENDING
    ai_settings = ai_settings_get()
    item.auto_process = ai_settings.auto_process_on_upload
    try:
        with transaction.atomic():
            item.save()
            item_search_index_update(item)
            if item.album.cover_photo_id is None and item.kind == MediaKind.PHOTO:
                Album.objects.filter(pk=item.album_id, cover_photo=None).update(cover_photo=item)
            if item.auto_process:
                item_enqueue_on_commit(item, ai_settings=ai_settings)
    except BaseException:
        item_files_delete(item)
        raise
    return item


def item_files_delete(item: MediaItem) -> None:
    for field_file in item_files(item):
        if field_file.name:
            default_storage.delete(field_file.name)


def item_files(item: MediaItem) -> list:
    return [getattr(item, variant) for variant in kind_of(item).variants]


def storage_name(folder: str, kind: str, extension: str) -> str:
    """A server-generated name: the client's file name never reaches the disk."""
    now = timezone.now()
    return f"{folder}/{kind}s/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"


def sha256_of(file: IO[bytes]) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def check_not_duplicate(*, album: Album, checksum: str) -> None:
    existing = album.items.filter(checksum_sha256=checksum).first()
    if existing is not None:
        name = existing.original_filename
        raise UploadRejected(f"This file is already in the album as “{name}”.")
