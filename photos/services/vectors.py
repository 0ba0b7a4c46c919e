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
from django.db.models import Max
from django.utils import timezone

from photos.models import ItemTag, MediaItem, ProcessingStatus
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
# Deleting an item does not move the cache key below; the cached matrix is rebuilt
# at least this often anyway.
INDEX_MAX_AGE_S = 60.0
# A search reuses the last key check for this long: a new or edited item joins
# meaning results within it.
KEY_CHECK_INTERVAL_S = 5.0


# --- writing ---------------------------------------------------------------------


def embedding_text(description: str, tags: str, place: dict[str, str] | None) -> str:
    """What an item's embedding says: its description, its tags (", "-joined), its place."""
    place = place or {}
    where = ", ".join(str(place[key]) for key in ("city", "admin") if place.get(key))
    return ". ".join(part for part in (description.strip(), tags, where) if part)


def item_embedding_text(*, item_id: int) -> str | None:
    """The item's current embedding text (None: no such item); only the columns it needs,
    not the whole row, which holds the old embedding and the search vector."""
    row = MediaItem.objects.filter(pk=item_id).values_list("ai_description", "ai_analysis").first()
    if row is None:
        return None
    description, analysis = row
    tags = ItemTag.objects.filter(item_id=item_id).order_by("tag__name")
    names = tags.values_list("tag__name", flat=True)
    return embedding_text(description, ", ".join(names), analysis.get("place"))


def item_embedding_update(*, item_id: int) -> bool:
    """Recompute the item's embedding from its current text (loads the model: workers only).

    An item with no text gets an empty value: "nothing to embed", which the
    index skips and the sweep (looking for NULL) leaves alone.
    """
    from photos.services.ai import texts_embed

    text = item_embedding_text(item_id=item_id)
    if text is None:
        return False
    embedding = texts_embed([text])[0].tobytes() if text else b""
    MediaItem.objects.filter(pk=item_id).update(
        embedding=embedding, embedding_updated_at=timezone.now()
    )
    return True


def item_embedding_refresh(*, item_id: int) -> None:
    """After processing, and for the refresh tasks: an item whose analysis succeeded stays
    completed even when the embedding model is missing or fails; it is then found by words
    only, and marked so (empty) rather than sent again by every sweep."""
    try:
        item_embedding_update(item_id=item_id)
    except (ImportError, OSError, RuntimeError, ValueError):
        logger.exception("Embedding of item %s failed; it is found by words only", item_id)
        MediaItem.objects.filter(pk=item_id).update(
            embedding=b"", embedding_updated_at=timezone.now()
        )


def item_embedding_stale(item: MediaItem) -> None:
    """After a person's edit, inside its transaction: the embedding no longer says what the
    item does. NULL means "to be computed": the interactive worker refreshes it right after
    the commit, and if that message is lost (a broker outage), the sweep finds the NULL."""
    # The time moves too: the cached index (keyed on it) drops the stale vector.
    MediaItem.objects.filter(pk=item.pk).update(embedding=None, embedding_updated_at=timezone.now())
    queue.embedding_update_on_commit(
        items=[(item.pk, item.kind)], expires_s=settings.AI_SWEEP_INTERVAL
    )


def stale_embeddings_enqueue() -> int:
    """The sweep: completed items without an embedding (an edit's refresh was lost, a worker
    died between saving a result and embedding it, or the item predates meaning search).

    They go to the batch queue, not the interactive one, so a backlog never stands
    between a search and its query's embedding.
    """
    items = list(
        MediaItem.objects.filter(processing_status=ProcessingStatus.COMPLETED, embedding=None)
        .order_by("pk")
        .values_list("pk", "kind")[: settings.AI_BATCH_SIZE]
    )
    if items:
        queue.embedding_update_on_commit(
            items=items, expires_s=settings.AI_SWEEP_INTERVAL, queue_name=queue.BATCH_QUEUE
        )
        logger.info("Sweep: queued %d embeddings", len(items))
    return len(items)


# --- the query -------------------------------------------------------------------


def query_embed(text: str) -> np.ndarray | None:
    """The query's embedding, computed by the interactive worker; None when none answers
    in time."""
    from celery.exceptions import TaskRevokedError
    from celery.exceptions import TimeoutError as ResultTimeout

    # TaskRevokedError: a worker took the message only after it expired (a busy worker).
    failures: tuple[type[Exception], ...] = (
        ResultTimeout,
        TaskRevokedError,
        *queue.BROKER_ERRORS,
    )
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

    def __init__(
        self, ids: np.ndarray, matrix: np.ndarray, album_ids: np.ndarray, kinds: np.ndarray
    ) -> None:
        self.ids = ids
        self.matrix = matrix
        self.album_ids = album_ids
        self.kinds = kinds  # each row's kind name

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

    def ids_in_albums(self, album_ids: list[int], kind: str | None = None) -> np.ndarray:
        """The owner (and kind) filter on the id array: ~0.5 ms at 100k, where asking
        PostgreSQL for the visible ids took ~110 ms (wide rows, 90k ids over the wire)."""
        inside = np.isin(self.album_ids, album_ids)
        if kind is not None:
            inside &= self.kinds == kind
        return self.ids[inside]

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
_CACHE_KEY = "items"
_cache_lock = threading.Lock()


def index_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def index_key() -> tuple:
    """Changes when any embedding is written or rewritten (processing, a person's edit).

    Two index probes (~0.1 ms at 100k items; the count over the table it replaces
    took ~190 ms). A deleted item only leaves a stale row in the cached index,
    which INDEX_MAX_AGE_S bounds and which search drops anyway: it asks the
    database for the rows of the ids it found.
    """
    stats = MediaItem.objects.aggregate(latest=Max("embedding_updated_at"), top=Max("pk"))
    return (EMBEDDING_MODEL, stats["latest"], stats["top"])


def index_for() -> VectorIndex:
    """The index of every item, cached per process; rebuilt only when its key changes (or ages)."""
    with _cache_lock:
        cached = _cache.get(_CACHE_KEY)
        now = time.monotonic()
        if cached and now - cached.checked_at < KEY_CHECK_INTERVAL_S:
            return cached.index
        key = index_key()
        if cached and cached.key == key and now - cached.built_at < INDEX_MAX_AGE_S:
            cached.checked_at = now
            return cached.index
        index = index_build()
        _cache[_CACHE_KEY] = _Cached(key=key, index=index)
        return index


def index_build() -> VectorIndex:
    rows = MediaItem.objects.exclude(embedding=None).order_by("pk")
    ids: list[int] = []
    albums: list[int] = []
    kinds: list[str] = []
    chunks: list[bytes] = []
    fields = ("pk", "album_id", "kind", "embedding")
    for pk, album_id, kind, blob in rows.values_list(*fields).iterator(5000):
        if len(blob) == DIMENSIONS * 4:  # another model's vectors would not compare
            ids.append(pk)
            albums.append(album_id)
            kinds.append(kind)
            chunks.append(bytes(blob))
    matrix = np.frombuffer(b"".join(chunks), dtype=np.float32).reshape(len(ids), DIMENSIONS)
    return VectorIndex(
        np.asarray(ids, dtype=np.int64),
        matrix,
        np.asarray(albums, dtype=np.int64),
        np.asarray(kinds, dtype=str),
    )


def meaning_search(
    *,
    query_vec: np.ndarray,
    album_ids: list[int],
    kind: str | None = None,
    allowed_ids: list[int] | None = None,
    k: int = MEANING_LIMIT,
) -> list[tuple[int, float]]:
    """(id, cosine) of the nearest items of this kind (None: any) in these albums (and
    among allowed_ids, when given), at least MIN_COSINE."""
    index = index_for()
    allowed = index.ids_in_albums(album_ids, kind)
    if allowed_ids is not None:
        allowed = allowed[np.isin(allowed, allowed_ids)]
    if len(allowed) == 0:
        return []
    hits = index.search(query_vec, allowed, k)
    return [(pk, score) for pk, score in hits if score >= MIN_COSINE]
