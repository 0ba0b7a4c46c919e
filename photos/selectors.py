"""Reads that respect who may see what: owners see theirs, staff see everything."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from photos.models import Album, MediaItem, Photo, Video


def albums_visible_to(user: AbstractBaseUser) -> QuerySet[Album]:
    albums = Album.objects.select_related("owner", "cover_photo")
    return albums if user.is_staff else albums.filter(owner=user)


def album_get_for_user(*, user: AbstractBaseUser, album_id: int) -> Album:
    """The album, or 404 (never 403, so ids of other people's albums leak nothing)."""
    album = albums_visible_to(user).filter(pk=album_id).first()
    if album is None:
        raise Http404("No such album")
    return album


def items_visible_to(user: AbstractBaseUser, model: type[MediaItem]) -> QuerySet:
    items = model.objects.select_related("album")
    return items if user.is_staff else items.filter(album__owner=user)


def item_get_for_user(*, user: AbstractBaseUser, model: type[MediaItem], item_id: int) -> MediaItem:
    item = items_visible_to(user, model).filter(pk=item_id).first()
    if item is None:
        raise Http404(f"No such {model._meta.model_name}")
    return item


def album_items(album: Album) -> list[MediaItem]:
    """Photos and videos of an album, newest first, for the grid."""
    photos = list(Photo.objects.filter(album=album).prefetch_related("tags"))
    videos = list(Video.objects.filter(album=album).prefetch_related("tags"))
    return sorted(photos + videos, key=lambda item: (item.uploaded_at, item.pk), reverse=True)
