"""Word search over photos and videos, the index it reads, and its merge with meaning search.

PostgreSQL: each item's words live in a stored `search_vector` (GIN-indexed),
rewritten by `item_search_index_update` whenever they change (processing,
upload, a person's edit), and queries are ranked with ts_rank. SQLite (the
zero-set-up run) has no full-text search: there a plain icontains stands in.
Meaning search (photos.services.vectors) adds items near the query's embedding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.contrib.auth.models import User
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from photos.models import Album, MediaItem, Photo, ProcessingStatus, Tag, Video
from photos.selectors import albums_visible_to, items_visible_to
from photos.services import vectors

# Stemming ("cats" finds "cat"); descriptions and tags are English.
SEARCH_CONFIG = "english"
ITEM_MODELS: dict[str, type[MediaItem]] = {"photo": Photo, "video": Video}
# Reciprocal rank fusion's damping constant (Cormack et al. use 60).
RRF_K = 60


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def words_of(text: str) -> str:
    """Split names like "IMG_0042.jpg" into words; the parser keeps "chelsea.jpg" as one token."""
    return re.sub(r"[\W_]+", " ", text).strip()


def item_search_index_update(item: MediaItem) -> None:
    """Rewrite the item's search vector in one UPDATE from its current rows.

    The UPDATE reads everything itself (the row's fields, its tags and its
    album's title through subqueries), so a concurrent write is never
    overwritten with stale text, and processing pays one round trip for it.
    Only the file name comes from `item`: it never changes.
    """
    if not uses_full_text():
        return
    model = type(item)
    through = model.tags.through
    owner = f"{model._meta.model_name}_id"
    tag_names = (
        through.objects.filter(**{owner: OuterRef("pk")})
        .values(owner)
        .annotate(names=StringAgg("tag__name", " ", order_by="tag__name"))
        .values("names")
    )
    album_title = Album.objects.filter(pk=OuterRef("album_id")).values("title")

    def vector(expression, weight: str) -> SearchVector:
        return SearchVector(expression, config=SEARCH_CONFIG, weight=weight)

    def text(expression) -> Coalesce:
        return Coalesce(expression, Value(""), output_field=TextField())

    model.objects.filter(pk=item.pk).update(
        search_vector=(
            vector(text(Subquery(tag_names)), "A")
            + vector("ai_description", "B")
            + vector(KeyTextTransform("text", "ai_analysis"), "C")
            + vector(KeyTextTransform("city", KeyTextTransform("place", "ai_analysis")), "C")
            + vector(KeyTextTransform("admin", KeyTextTransform("place", "ai_analysis")), "C")
            + vector(text(Subquery(album_title)), "D")
            + vector(Value(words_of(item.original_filename), output_field=TextField()), "D")
        )
    )


def album_search_index_update(album: Album) -> None:
    """After an album's title changes: its items' vectors hold the old title."""
    for model in ITEM_MODELS.values():
        for item in model.objects.filter(album=album):
            item_search_index_update(item)


@dataclass(frozen=True)
class SearchFilters:
    kind: str = ""  # "photo", "video" or "" for both
    album_id: int | None = None
    taken_from: date | None = None
    taken_to: date | None = None
    status: str = ""
    has_faces: bool | None = None
    has_text: bool | None = None


@dataclass(frozen=True)
class SearchResult:
    items: list[MediaItem]
    # True when the query had words but no worker embedded it in time: words alone answered.
    meaning_skipped: bool = False


def search_run(*, user: User, query: str, filters: SearchFilters | None = None) -> SearchResult:
    """Word search, joined by meaning search when a worker embeds the query in time."""
    query = query.strip()
    vector = vectors.query_embed(query) if query else None
    items = items_search(user=user, query=query, filters=filters, query_vector=vector)
    return SearchResult(items=items, meaning_skipped=bool(query) and vector is None)


MAX_WORD_RESULTS = 1000


def items_search(
    *,
    user: User,
    query: str,
    filters: SearchFilters | None = None,
    query_vector: np.ndarray | None = None,
) -> list[MediaItem]:
    """Items the user may see that match the words and filters: best match first.

    With `query_vector` (the query's embedding), items near it in meaning join in.
    With no words, every item that passes the filters, newest first.
    """
    filters = filters or SearchFilters()
    kinds = [filters.kind] if filters.kind in ITEM_MODELS else list(ITEM_MODELS)
    query = query.strip()
    results: list[MediaItem] = []
    near: list[tuple[MediaItem, float]] = []
    for kind in kinds:
        # defer: the embedding (1.5 kB a row) is read by the vector index, not by pages.
        visible = filtered(items_visible_to(user, ITEM_MODELS[kind]).defer("embedding"), filters)
        items = best_matches(visible, query) if query else visible
        results.extend(items.prefetch_related("tags"))
        if query and query_vector is not None:
            near.extend(meaning_matching(user, visible, filters, query_vector))
    by_date = sorted(results, key=lambda item: (item.uploaded_at, item.pk), reverse=True)
    if not query:
        return by_date
    if uses_full_text():
        # Stable sort: equal ranks stay newest first.
        # rank: annotated by best_matches(), which the type checker cannot see.
        by_date = sorted(by_date, key=lambda item: item.rank, reverse=True)  # type: ignore[attr-defined]
    return fused(by_date, [item for item, _ in sorted(near, key=lambda hit: -hit[1])])


def meaning_matching(
    user: User, visible: QuerySet, filters: SearchFilters, query_vector: np.ndarray
) -> list[tuple[MediaItem, float]]:
    """(item, cosine) for the visible items near the query; the filters hold for them too."""
    albums = albums_visible_to(user)
    if filters.album_id is not None:
        albums = albums.filter(pk=filters.album_id)
    # Owner and album filters are applied on the index's id array; the others need
    # the rows, so only then are the matching ids read from the database.
    by_rows = filters != SearchFilters(kind=filters.kind, album_id=filters.album_id)
    hits = dict(
        vectors.meaning_search(
            model=visible.model,
            query_vec=query_vector,
            album_ids=list(albums.values_list("pk", flat=True)),
            allowed_ids=list(visible.values_list("pk", flat=True)) if by_rows else None,
        )
    )
    items = visible.filter(pk__in=hits).prefetch_related("tags")
    return [(item, hits[item.pk]) for item in items]


def fused(by_words: list[MediaItem], by_meaning: list[MediaItem]) -> list[MediaItem]:
    """Reciprocal rank fusion; every word hit ranks above items found by meaning alone.

    Word hits are what a person typed, so they come first; among them, those the
    meaning search also found rise. Meaning-only hits follow, nearest first.
    """

    def key(item: MediaItem) -> tuple[str, int]:
        return (item.kind, item.pk)

    score: dict[tuple[str, int], float] = {}
    for ranked in (by_words, by_meaning):
        for rank, item in enumerate(ranked):
            score[key(item)] = score.get(key(item), 0.0) + 1 / (RRF_K + rank)
    words = {key(item) for item in by_words}
    extra = [item for item in by_meaning if key(item) not in words]
    return sorted(by_words, key=lambda item: score[key(item)], reverse=True) + extra


def best_matches(items: QuerySet, query: str) -> QuerySet:
    """The best-ranked word matches, at most MAX_WORD_RESULTS of them.

    Loading every match of a common word costs ~0.5 s at 100k items (measured by
    scripts/bench_search.py); nobody pages past the best thousand, and a filter
    or a narrower query reaches the rest.
    """
    ordered = matching(items, query)
    if uses_full_text():
        ordered = ordered.order_by("-rank", "-uploaded_at", "-pk")
    return ordered[:MAX_WORD_RESULTS]


def matching(items: QuerySet, query: str) -> QuerySet:
    if uses_full_text():
        search = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        rank = SearchRank(F("search_vector"), search)  # F: a bare name would be re-vectorised
        return items.filter(search_vector=search).annotate(rank=rank)
    return icontains_matching(items, query)


def icontains_matching(items: QuerySet, query: str) -> QuerySet:
    """SQLite: every word must appear somewhere in the item's text."""
    items = items.annotate(analysis_text=Cast("ai_analysis", TextField()))
    for word in query.split():
        items = items.filter(
            Q(ai_description__icontains=word)
            | Q(original_filename__icontains=word)
            | Q(album__title__icontains=word)
            | Q(tags__name__icontains=word)
            | Q(analysis_text__icontains=word)
        )
    return items.distinct()


def filtered(items: QuerySet, filters: SearchFilters) -> QuerySet:
    if filters.album_id is not None:
        items = items.filter(album_id=filters.album_id)
    if filters.taken_from:
        items = items.filter(taken_at__gte=day_start(filters.taken_from))
    if filters.taken_to:
        items = items.filter(taken_at__lt=day_start(filters.taken_to, days=1))
    if filters.status in ProcessingStatus.values:
        items = items.filter(processing_status=filters.status)
    if filters.has_faces is not None:
        items = only_if(items, Q(ai_analysis__faces__gt=0), filters.has_faces)
    if filters.has_text is not None:
        items = only_if(items, Q(ai_analysis__text__regex=r"\S"), filters.has_text)
    return items


def only_if(items: QuerySet, condition: Q, wanted: bool) -> QuerySet:
    # A subquery, not exclude(condition): rows without the key (not yet
    # processed) compare as NULL and would drop out of both sides.
    having = items.model.objects.filter(condition).values("pk")
    return items.filter(pk__in=having) if wanted else items.exclude(pk__in=having)


def day_start(day: date, *, days: int = 0) -> datetime:
    start = datetime.combine(day, time.min) + timedelta(days=days)
    return timezone.make_aware(start)


# --- tags -----------------------------------------------------------------------


def tags_with_counts_for(user: User) -> list[Tag]:
    """Tags on the items the user may see, each with `photo_count`, `video_count`, `total`."""

    def count(relation: str) -> Count:
        # distinct: the photos and videos joins multiply each other's rows.
        visible = None if user.is_staff else Q(**{f"{relation}__album__owner": user})
        return Count(relation, filter=visible, distinct=True)

    tags = Tag.objects.annotate(photo_count=count("photos"), video_count=count("videos"))
    tags = tags.filter(Q(photo_count__gt=0) | Q(video_count__gt=0)).order_by("name")
    for tag in tags:
        tag.total = tag.photo_count + tag.video_count  # type: ignore[attr-defined]  # for the page
    return list(tags)


def items_with_tag(*, user: User, name: str) -> list[MediaItem]:
    items: list[MediaItem] = []
    for model in ITEM_MODELS.values():
        visible = items_visible_to(user, model).defer("embedding")
        items.extend(visible.filter(tags__name=name).prefetch_related("tags"))
    return sorted(items, key=lambda item: (item.uploaded_at, item.pk), reverse=True)
