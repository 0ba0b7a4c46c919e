"""Album writes: create, rename, delete (with every file the album holds)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.files.storage import Storage
from django.db import transaction

from photos.models import Album, Face, MediaItem
from photos.services.search_index import album_search_index_update
from photos.services.uploads import item_files


def album_create(*, owner: User, title: str, description: str = "") -> Album:
    return Album.objects.create(owner=owner, title=title.strip(), description=description.strip())


def album_update(*, album: Album, title: str, description: str | None = None) -> Album:
    renamed = album.title != title.strip()
    album.title = title.strip()
    if description is not None:
        album.description = description.strip()
    album.save(update_fields=["title", "description", "updated_at"])
    if renamed:  # the items' search vectors hold the album title
        album_search_index_update(album)
    return album


def album_delete(*, album: Album) -> None:
    """Delete the album, its items and, once that is committed, their files."""
    names = [
        field_file.name
        for item in album.items.defer(
            "embedding", "image_embedding", "search_vector", "ai_analysis"
        )
        for field_file in item_files(item)
        if field_file.name
    ]
    # Face crops too (photos.services.people); the rows go with the items.
    names += Face.objects.filter(item__album=album).exclude(crop="").values_list("crop", flat=True)
    storage = MediaItem._meta.get_field("original").storage
    with transaction.atomic():
        album.delete()
        # Only after commit: a rolled-back delete must not lose the files.
        transaction.on_commit(lambda: files_delete(storage, names))


def files_delete(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)
