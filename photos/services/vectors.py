"""Meaning search: sentence embeddings of items, and exact cosine search over them.

Each item's embedding (description, tags, place) is computed by a worker, where
torch is loaded anyway; the web process never loads a model, so the query text
is embedded by a worker too (embed_query_task, on the interactive queue) and
the web process only does the matrix product.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from photos.models import MediaItem, ProcessingStatus
from photos.services import queue

logger = logging.getLogger(__name__)

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Below this cosine a "meaning" hit is mostly noise (unrelated texts score 0.0-0.25
# with this model; "kitty" against a cat description ~0.6).
MIN_COSINE = 0.35
MEANING_LIMIT = 200
# A warm worker answers in ~10-30 ms; past this the page answers with words alone.
QUERY_EMBED_TIMEOUT_S = 3.0
# A person's edit rewrites one embedding without moving the cache key below;
# the cached matrix is rebuilt at least this often so such edits show up.
INDEX_MAX_AGE_S = 60.0
# The key's aggregate reads the whole table (~100 ms at 100k items), so a search
# reuses the last answer for this long: a new item joins meaning results within it.
KEY_CHECK_INTERVAL_S = 5.0


# --- writing ---------------------------------------------------------------------


def embedding_text(description: str, tags: str, place: dict[str, str] | None) -> str:
    """What an item's embedding says: its description, its tags (", "-joined), its place."""
    place = place or {}
    where = ", ".join(str(place[key]) for key in ("city", "admin") if place.get(key))
    return ". ".join(part for part in (description.strip(), tags, where) if part)


def item_embedding_text(*, model: type[MediaItem], item_id: int) -> str | None:
    """The item's current embedding text (None: no such item); only the columns it needs,
    not the whole row, which holds the old embedding and the search vector."""
    row = model.objects.filter(pk=item_id).values_list("ai_description", "ai_analysis").first()
    if row is None:
        return None
    description, analysis = row
    through = model.tags.through
    tags = through.objects.filter(**{f"{model._meta.model_name}_id": item_id})
    names = tags.order_by("tag__name").values_list("tag__name", flat=True)
    return embedding_text(description, ", ".join(names), analysis.get("place"))


def item_embedding_update(*, model: type[MediaItem], item_id: int) -> bool:
    """Recompute the item's embedding from its current text (loads the model: workers only).

    An item with no text gets an empty value: "nothing to embed", which the
    index skips and the sweep (looking for NULL) leaves alone.
    """
    from photos.services.ai import texts_embed

    text = item_embedding_text(model=model, item_id=item_id)
    if text is None:
        return False
    embedding = texts_embed([text])[0].tobytes() if text else b""
    model.objects.filter(pk=item_id).update(embedding=embedding)
    return True


def item_embedding_refresh(*, model: type[MediaItem], item_id: int) -> None:
    """After processing, and for the refresh tasks: an item whose analysis succeeded stays
    completed even when the embedding model is missing or fails; it is then found by words
    only, and marked so (empty) rather than sent again by every sweep."""
    try:
        item_embedding_update(model=model, item_id=item_id)
    except (ImportError, OSError, RuntimeError, ValueError):
        logger.exception("Embedding of %s %s failed; it is found by words only", model, item_id)
        model.objects.filter(pk=item_id).update(embedding=b"")


def item_embedding_stale(item: MediaItem) -> None:
    """After a person's edit, inside its transaction: the embedding no longer says what the
    item does. NULL means "to be computed": the interactive worker refreshes it right after
    the commit, and if that message is lost (a broker outage), the sweep finds the NULL."""
    type(item).objects.filter(pk=item.pk).update(embedding=None)
    queue.embedding_update_on_commit(
        kind=item.kind, item_ids=[item.pk], expires_s=settings.AI_SWEEP_INTERVAL
    )


def stale_embeddings_enqueue(*, model: type[MediaItem]) -> int:
    """The sweep: completed items without an embedding (an edit's refresh was lost, a worker
    died between saving a result and embedding it, or the item predates meaning search).

    They go to the batch queue, not the interactive one, so a backlog never stands
    between a search and its query's embedding.
    """
    ids = list(
        model.objects.filter(processing_status=ProcessingStatus.COMPLETED, embedding=None)
        .order_by("pk")
        .values_list("pk", flat=True)[: settings.AI_BATCH_SIZE]
    )
    if ids:
        queue.embedding_update_on_commit(
            kind=str(model._meta.model_name),
            item_ids=ids,
            expires_s=settings.AI_SWEEP_INTERVAL,
            queue_name=queue.BATCH_QUEUE,
        )
        logger.info("Sweep: queued %d %s embeddings", len(ids), model._meta.model_name)
    return len(ids)


# --- the query -------------------------------------------------------------------


def query_embed(text: str) -> np.ndarray | None:
    """The query's embedding, computed by the interactive worker; None when none answers
    in time."""
    from celery.exceptions import TimeoutError as ResultTimeout

    failures: tuple[type[Exception], ...] = (ResultTimeout, *queue.BROKER_ERRORS)
    try:
        result = queue.embed_query_send(text, expires_s=QUERY_EMBED_TIMEOUT_S)
        vector = result.get(timeout=QUERY_EMBED_TIMEOUT_S)
    except failures as exc:
        logger.warning("No worker embedded the search query (%s); words only", exc)
        return None
    result.forget()
    return np.asarray(vector, dtype=np.float32)


# --- the index -------------------------------------------------------------------


class VectorIndex:
    """Exact cosine search over unit vectors: one matrix-vector product.

    The interface an approximate index (usearch, hnswlib) would keep.
    """

    def __init__(self, ids: np.ndarray, matrix: np.ndarray, album_ids: np.ndarray) -> None:
        self.ids = ids
        self.matrix = matrix
        self.album_ids = album_ids

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query_vec: np.ndarray, allowed_ids: np.ndarray | None, k: int
    ) -> list[tuple[int, float]]:
        """Up to k (id, cosine) pairs, best first, among allowed_ids (None: all)."""
        rows = np.arange(len(self.ids)) if allowed_ids is None else self.rows_of(allowed_ids)
        if len(rows) == 0:
            return []
        scores = self.matrix[rows] @ query_vec
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self.ids[rows[i]]), float(scores[i])) for i in top]

    def ids_in_albums(self, album_ids: list[int]) -> np.ndarray:
        """The owner filter on the id array: ~0.5 ms at 100k, where asking PostgreSQL
        for the visible ids took ~110 ms (wide rows, 90k ids over the wire)."""
        return self.ids[np.isin(self.album_ids, album_ids)]

    def rows_of(self, allowed_ids: np.ndarray) -> np.ndarray:
        # self.ids is sorted (built ordered by pk), so membership is a binary search.
        positions = np.searchsorted(self.ids, allowed_ids)
        inside = positions < len(self.ids)
        positions, wanted = positions[inside], allowed_ids[inside]
        return positions[self.ids[positions] == wanted]


@dataclass
class _Cached:
    key: tuple
    index: VectorIndex
    built_at: float = field(default_factory=time.monotonic)
    checked_at: float = field(default_factory=time.monotonic)


_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()


def index_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def index_key(model: type[MediaItem]) -> tuple:
    """Cheap to read: changes when an item is (re)processed, added with a vector, or deleted."""
    stats = model.objects.exclude(embedding=None).aggregate(
        count=Count("pk"), latest=Max("processed_at"), top=Max("pk")
    )
    return (EMBEDDING_MODEL, stats["count"], stats["latest"], stats["top"])


def index_for(model: type[MediaItem]) -> VectorIndex:
    """The kind's index, cached per process; rebuilt only when its key changes (or ages)."""
    name = str(model._meta.model_name)
    with _cache_lock:
        cached = _cache.get(name)
        now = time.monotonic()
        if cached and now - cached.checked_at < KEY_CHECK_INTERVAL_S:
            return cached.index
        key = index_key(model)
        if cached and cached.key == key and now - cached.built_at < INDEX_MAX_AGE_S:
            cached.checked_at = now
            return cached.index
        index = index_build(model)
        _cache[name] = _Cached(key=key, index=index)
        return index


def index_build(model: type[MediaItem]) -> VectorIndex:
    rows = model.objects.exclude(embedding=None).order_by("pk")
    ids: list[int] = []
    albums: list[int] = []
    chunks: list[bytes] = []
    for pk, album_id, blob in rows.values_list("pk", "album_id", "embedding").iterator(5000):
        if len(blob) == DIMENSIONS * 4:  # another model's vectors would not compare
            ids.append(pk)
            albums.append(album_id)
            chunks.append(bytes(blob))
    matrix = np.frombuffer(b"".join(chunks), dtype=np.float32).reshape(len(ids), DIMENSIONS)
    return VectorIndex(np.asarray(ids, dtype=np.int64), matrix, np.asarray(albums, dtype=np.int64))


def meaning_search(
    *,
    model: type[MediaItem],
    query_vec: np.ndarray,
    album_ids: list[int],
    allowed_ids: list[int] | None = None,
    k: int = MEANING_LIMIT,
) -> list[tuple[int, float]]:
    """(id, cosine) of the nearest items in these albums (and among allowed_ids, when
    given), at least MIN_COSINE."""
    index = index_for(model)
    allowed = index.ids_in_albums(album_ids)
    if allowed_ids is not None:
        allowed = allowed[np.isin(allowed, allowed_ids)]
    if len(allowed) == 0:
        return []
    hits = index.search(query_vec, allowed, k)
    return [(pk, score) for pk, score in hits if score >= MIN_COSINE]
