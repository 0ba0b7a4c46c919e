"""Zip downloads: contents, names, selections, share links, and memory while streaming."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from photos.downloads import UniqueNames, items_zip_stream
from photos.models import Album, MediaItem, Photo
from tests.samples import jpeg_bytes
from tests.share.conftest import gps_jpeg, gps_of, read, share_url
from tests.web.conftest import store_item

pytestmark = pytest.mark.django_db


def stored_bytes(item: MediaItem) -> bytes:
    with item.original.open("rb") as file:
        return file.read()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every CRC checks out
        return {name: archive.read(name) for name in archive.namelist()}


def test_it_zips_an_album_with_names_kept_and_deduplicated(client_for, owner, album, stranger):
    first = store_item(album, "a.jpg", jpeg_bytes("chelsea"))
    second = store_item(album, "a.jpg", jpeg_bytes("coffee"))
    third = store_item(album, "A.JPG", jpeg_bytes("rocket"))
    gps = store_item(album, "eiffel.jpg", gps_jpeg("astronaut"))

    response = client_for(owner).get(reverse("album-download", args=[album.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'attachment; filename="Holidays.zip"' == response["Content-Disposition"]
    files = unzip(read(response))
    assert files == {
        "a.jpg": stored_bytes(first),
        "a (2).jpg": stored_bytes(second),
        "A (3).JPG": stored_bytes(third),
        "eiffel.jpg": stored_bytes(gps),  # the owner's own zip keeps location
    }
    assert gps_of(files["eiffel.jpg"])
    assert client_for(stranger).get(reverse("album-download", args=[album.pk])).status_code == 404


def test_it_zips_a_selection_and_only_from_that_album(client_for, owner, album, other_album):
    chosen = store_item(album, "keep.jpg", jpeg_bytes("chelsea"))
    store_item(album, "skip.jpg", jpeg_bytes("coffee"))
    elsewhere = MediaItem.objects.get(album=other_album)
    url = reverse("album-download", args=[album.pk]) + f"?item={chosen.pk}&item={elsewhere.pk}"
    assert list(unzip(read(client_for(owner).get(url)))) == ["keep.jpg"]


def test_a_share_link_zip_has_no_gps_unless_location_is_allowed(visitor, make_link, album):
    store_item(album, "eiffel.jpg", gps_jpeg())
    stripped = unzip(
        read(visitor.get(share_url(make_link(allow_originals=True).token, "share-download")))
    )
    assert list(stripped) == ["eiffel.jpg"] and gps_of(stripped["eiffel.jpg"]) == {}
    located = make_link(allow_originals=True, allow_location=True)
    kept = unzip(read(visitor.get(share_url(located.token, "share-download"))))
    assert gps_of(kept["eiffel.jpg"])


def test_unique_names_are_safe_and_case_insensitive():
    names = UniqueNames()
    taken = [names.take(n) for n in ["a.jpg", "A.jpg", "a.jpg", "../x/b.png", "", "notes", "notes"]]
    assert taken == ["a.jpg", "A (2).jpg", "a (3).jpg", "_x_b.png", "file", "notes", "notes (2)"]


ALBUM_MB = 200
FILE_MB = 4


def test_streaming_a_200_mb_album_holds_a_few_mb_at_most(owner):
    """Memory must not grow with the album: the peak stays far below the 200 MB streamed."""
    album = Album.objects.create(owner=owner, title="Big")
    block = os.urandom(FILE_MB * 2**20)  # incompressible, like photos
    for n in range(ALBUM_MB // FILE_MB):
        name = default_storage.save(f"originals/big/{n}.jpg", ContentFile(block))
        Photo.objects.create(
            album=album,
            uploader=owner,
            original=name,
            original_filename=f"{n}.jpg",
            content_type="image/jpeg",
            size_bytes=len(block),
            checksum_sha256="0" * 64,
        )
    del block

    total = 0
    tracemalloc.start()
    try:
        for chunk in items_zip_stream(album.items.all(), strip_location=False):
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > ALBUM_MB * 2**20
    assert peak < 10 * 2**20, f"peak {peak / 2**20:.1f} MB while streaming {total / 2**20:.0f} MB"
