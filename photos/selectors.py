"""Reads that respect who may see what: owners see theirs, staff see everything."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from photos.models import Album, MediaItem, Photo, Video


def albums_visible_to(user: User) -> QuerySet[Album]:
    albums = Album.objects.select_related("owner", "cover_photo")
    return albums if user.is_staff else albums.filter(owner=user)


def album_get_for_user(*, user: User, album_id: int) -> Album:
    """The album, or 404 (never 403, so ids of other people's albums leak nothing)."""
    album = albums_visible_to(user).filter(pk=album_id).first()
    if album is None:
        raise Http404("No such album")
    return album


def items_visible_to(user: User, model: type[MediaItem]) -> QuerySet:
    items = model.objects.select_related("album")
    return items if user.is_staff else items.filter(album__owner=user)


def item_get_for_user(*, user: User, model: type[MediaItem], item_id: int) -> MediaItem:
    item = items_visible_to(user, model).filter(pk=item_id).first()
    if item is None:
        raise Http404(f"No such {model._meta.model_name}")
    return item


def album_items(album: Album) -> list[MediaItem]:
    """Photos and videos of an album, newest first, for the grid."""
    photos = list(Photo.objects.filter(album=album).prefetch_related("tags"))
    videos = list(Video.objects.filter(album=album).prefetch_related("tags"))
    return sorted(photos + videos, key=lambda item: (item.uploaded_at, item.pk), reverse=True)


def albums_with_counts_visible_to(user: User) -> QuerySet[Album]:
    """Albums for the list page, each with its photo and video counts and a fallback cover.

    Subqueries rather than two Count() joins: joining photos and videos at
    once would multiply the rows and the counts.
    """
    return albums_visible_to(user).annotate(
        photo_count=_count_in_album(Photo),
        video_count=_count_in_album(Video),
        latest_video_id=Subquery(_latest_video_ids.values("id")[:1]),
    )


_latest_video_ids = Video.objects.filter(album=OuterRef("pk")).order_by("-uploaded_at", "-id")


def _count_in_album(model: type[MediaItem]) -> Coalesce:
    counts = (
        model.objects.filter(album=OuterRef("pk"))
        .order_by()
        .values("album")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


def item_tags(item: MediaItem) -> QuerySet:
    """An item's tags with their source and score, surest first."""
    return item.item_tags.select_related("tag").order_by(
        F("score").desc(nulls_last=True), "tag__name"
    )
