from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from photos.models import Album
from photos.services.uploads import item_create_from_upload
from tests.samples import jpeg_bytes, mp4_bytes


@pytest.fixture
def owner_client(client_for, owner) -> Client:
    return client_for(owner)


def upload_url(album: Album) -> str:
    return reverse("album-upload", args=[album.pk])


def post_files(client: Client, album: Album, files: list[tuple[str, bytes]], *, json: bool = True):
    """POST files to the album's upload endpoint, as the page's script (JSON) or a plain form."""
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    headers = {"Accept": "application/json"} if json else {}
    return client.post(upload_url(album), {"files": uploads}, headers=headers)


def media_files(root: Path) -> list[Path]:
    """Every file under MEDIA_ROOT (none of the tests' uploads may be left behind)."""
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def store_item(album: Album, name: str, content: bytes):
    """Store an upload through the same service the endpoint calls."""
    upload = SimpleUploadedFile(name, content)
    return item_create_from_upload(
        album=album, uploader=album.owner, file=upload, filename=name, size=len(content)
    )


@pytest.fixture
def photo(album):
    return store_item(album, "chelsea.jpg", jpeg_bytes("chelsea"))


@pytest.fixture
def video(album):
    return store_item(album, "clip.mp4", mp4_bytes())
