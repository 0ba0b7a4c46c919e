"""Reads that respect who may see what: owners see theirs, staff see everything.

Selectors return None where nothing is found; the view decides that this is a 404.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce

from photos.kinds import KINDS, Kind
from photos.models import Album, MediaItem

PAGE_SIZE = 48
# What a grid card never shows: the embedding alone is 1.5 kB a row.
GRID_DEFERRED = (
    "embedding",
    "image_embedding",
    "search_vector",
    "ai_analysis",
    "removed_tags",
)


def albums_visible_to(user: User) -> QuerySet[Album]:
    albums = Album.objects.select_related("owner", "cover_photo")
    return albums if user.is_staff else albums.filter(owner=user)


def album_get_for_user(*, user: User, album_id: int) -> Album | None:
    """The album, or None (the view answers 404, never 403: ids of others' albums leak nothing)."""
    return albums_visible_to(user).filter(pk=album_id).first()


def items_visible_to(user: User, kind: Kind | None = None) -> QuerySet[MediaItem]:
    model = kind.model if kind is not None else MediaItem
    items = model.objects.select_related("album")
    return items if user.is_staff else items.filter(album__owner=user)


def item_get_for_user(*, user: User, item_id: int, kind: Kind | None = None) -> MediaItem | None:
    return items_visible_to(user, kind).filter(pk=item_id).first()


def item_moved_for_user(*, user: User, kind: Kind, item_id: int) -> MediaItem | None:
    """Where an old link to this kind now points: the item that had this id before the
    one media table (migration 0005; only videos changed ids), else the item with this
    id under whichever kind it is."""
    visible = items_visible_to(user)
    moved = visible.filter(kind=kind.name, legacy_video_id=item_id).first()
    return moved or visible.filter(pk=item_id).first()


def grid_items(items: QuerySet[MediaItem]) -> QuerySet[MediaItem]:
    """Newest first, with only what a grid card shows."""
    return items.defer(*GRID_DEFERRED).order_by("-uploaded_at", "-pk")


def page_of(items: QuerySet | list, page_number: str | int | None) -> Page:
    """One page: a COUNT and one LIMIT/OFFSET query, however large the album."""
    return Paginator(items, PAGE_SIZE).get_page(page_number)


def page_of_ranked(items: QuerySet[MediaItem], page_number: str | int | None) -> Page:
    """One page of best-match-first results and their total, from one pass over the matches.

    Ranking reads every match's row (a GIN index finds words but cannot order by
    ts_rank), so the page's ids carry the total as COUNT(*) OVER (): the matches are
    read once, where Paginator read them twice (its COUNT, then the page). The count
    stays exact, so the page says what it said before. Only ids and the count pass
    through the window (narrow rows); the page's rows are then read by id. 100,000
    items, a word in 4,400 of them: about a third of COUNT + page's time
    (scripts/bench_search.py prints both). Newest-first lists keep page_of: there a
    page reads its rows along an index and stops, and a window would read them all.
    """
    paginator = Paginator(items, PAGE_SIZE)
    try:
        number = max(1, int(page_number or 1))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    with_total = items.annotate(total=Window(Count("pk"))).values_list("pk", "total")
    hits = list(with_total[start : start + PAGE_SIZE])
    if not hits and number > 1:
        return paginator.get_page(number)  # past the end: the last page, as get_page does
    paginator.count = hits[0][1] if hits else 0  # a cached_property: set, not computed
    ids = [pk for pk, _total in hits]
    rows = grid_items(items.model.objects.select_related("album")).in_bulk(ids)
    return Page([rows[pk] for pk in ids if pk in rows], number, paginator)


def album_items_page(*, album: Album, page_number: str | int | None) -> Page:
    """One page of an album's photos and videos, newest first, for the grid."""
    return page_of(grid_items(album.items.all()), page_number)


def album_item_counts(album: Album) -> dict[str, int]:
    """{"photo_count": n, "video_count": n}: one grouped query."""
    counts = dict(album.items.order_by().values_list("kind").annotate(n=Count("pk")))
    return {f"{name}_count": counts.get(name, 0) for name in KINDS}


def albums_with_counts_visible_to(user: User) -> QuerySet[Album]:
    """Albums for the list page, each with its count per kind and a fallback cover.

    Subqueries rather than Count() joins: one join per kind would multiply the
    rows and the counts.
    """
    latest = MediaItem.objects.filter(album=OuterRef("pk")).order_by("-uploaded_at", "-id")
    return albums_visible_to(user).annotate(
        **{f"{name}_count": _count_in_album(kind) for name, kind in KINDS.items()},
        latest_item_id=Subquery(latest.values("id")[:1]),
        latest_item_kind=Subquery(latest.values("kind")[:1]),
    )


def _count_in_album(kind: Kind) -> Coalesce:
    counts = (
        kind.model.objects.filter(album=OuterRef("pk"))
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
