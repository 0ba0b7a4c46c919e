"""Share-link reads: the link a visitor's token opens, and what that link lets them see.

A visitor's reach is exactly one album: every read here is scoped to the link's album.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page
from django.db.models import Q, QuerySet
from django.utils import timezone

from photos.kinds import Kind
from photos.location_strip import can_strip
from photos.models import Album, MediaItem, ShareLink, TagSource
from photos.selectors import grid_items, page_of
from photos.services.share_links import share_token_hash

# What a browser draws in an <img>; a HEIC original is shown at display size.
BROWSER_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def share_link_open(*, token: str) -> ShareLink | None:
    """The active link for `token`, or None (unknown, revoked or expired: the view answers 404)."""
    if not token or len(token) > 100:
        return None
    now = timezone.now()
    return (
        ShareLink.objects.select_related("album")
        .filter(token_hash=share_token_hash(token), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )


def share_links_for_album(album: Album) -> QuerySet[ShareLink]:
    return album.share_links.all()


def share_link_get_for_owner(
    *, user: AbstractBaseUser, album_id: int, link_id: int
) -> ShareLink | None:
    """Only the album's owner manages its links (not staff: a share is the owner's choice)."""
    return ShareLink.objects.filter(pk=link_id, album_id=album_id, album__owner=user).first()


def album_get_owned(*, user: AbstractBaseUser, album_id: int) -> Album | None:
    return Album.objects.filter(pk=album_id, owner=user).first()


def share_items(link: ShareLink) -> QuerySet[MediaItem]:
    return link.album.items.all()


def share_items_page(*, link: ShareLink, page_number: str | int | None) -> Page:
    return page_of(grid_items(share_items(link)), page_number)


def share_item_get(*, link: ShareLink, kind: Kind, item_id: int) -> MediaItem | None:
    return kind.model.objects.filter(album_id=link.album_id, pk=item_id).first()


def share_item_neighbours(
    *, link: ShareLink, item: MediaItem
) -> tuple[MediaItem | None, MediaItem | None]:
    """The previous and next items in grid order (newest first), for the item page's arrows."""
    items = share_items(link).only("kind", "pk", "uploaded_at")
    newer = (
        items.filter(
            Q(uploaded_at__gt=item.uploaded_at) | Q(uploaded_at=item.uploaded_at, pk__gt=item.pk)
        )
        .order_by("uploaded_at", "pk")
        .first()
    )
    older = (
        items.filter(
            Q(uploaded_at__lt=item.uploaded_at) | Q(uploaded_at=item.uploaded_at, pk__lt=item.pk)
        )
        .order_by("-uploaded_at", "-pk")
        .first()
    )
    return newer, older


def share_item_ai_tags(item: MediaItem) -> QuerySet:
    """Only the AI's tags: tags people added may name people, and visitors never see names."""
    return item.item_tags.filter(source=TagSource.AI).select_related("tag").order_by("tag__name")


def share_serves_original(link: ShareLink, item: MediaItem) -> bool:
    """Whether this link may hand out this item's original: only when the owner chose
    originals, and, without location, only for files whose location we can strip."""
    if not link.allow_originals:
        return False
    return link.allow_location or can_strip(item.content_type)


def share_display_variant(link: ShareLink, item: MediaItem) -> str:
    """What the item page and slideshow show: the original where the link serves it and a
    browser can draw it, else the display size."""
    if item.kind == "photo" and item.content_type in BROWSER_IMAGE_TYPES:
        if share_serves_original(link, item):
            return "original"
    return "thumbnail"


def share_zip_allowed(link: ShareLink) -> bool:
    return link.allow_originals
