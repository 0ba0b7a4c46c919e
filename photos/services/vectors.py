"""Meaning search: sentence embeddings of items, and exact cosine search over them.

Each item's embedding (description, tags, place) is computed by a worker, where
torch is loaded anyway; the web process never loads a model, so the query text
is embedded by a worker too (embed_query_task) and the web process only does
the matrix product.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Max
from django.utils import timezone

from photos.models import MediaItem

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


def item_embedding_text(item: MediaItem) -> str:
    tags = ", ".join(item.tags.order_by("name").values_list("name", flat=True))
    place = item.ai_analysis.get("place") or {}
    where = ", ".join(str(place[key]) for key in ("city", "admin") if place.get(key))
    return ". ".join(part for part in (item.ai_description.strip(), tags, where) if part)


def item_embedding_update(*, item_id: int) -> bool:
    """Recompute the item's embedding from its current text (loads the model: workers only)."""
    from photos.services.ai import texts_embed

    item = MediaItem.objects.filter(pk=item_id).first()
    if item is None:
        return False
    text = item_embedding_text(item)
    embedding = texts_embed([text])[0].tobytes() if text else None
    MediaItem.objects.filter(pk=item_id).update(
        embedding=embedding, embedding_updated_at=timezone.now()
    )
    return True


def item_embedding_refresh(*, item_id: int) -> None:
    """After processing: an item whose analysis succeeded stays completed even when the
    embedding model is missing or fails; it is then found by words only."""
    try:
        item_embedding_update(item_id=item_id)
    except (ImportError, OSError, RuntimeError, ValueError):
        logger.exception("Embedding of item %s failed; it is found by words only", item_id)


# --- the query -------------------------------------------------------------------


def query_embed(text: str) -> np.ndarray | None:
    """The query's embedding, computed by a worker; None when none answers in time."""
    from celery.exceptions import TimeoutError as ResultTimeout
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    from photos.tasks import embed_query_task

    try:
        # expires: a query nobody picked up in time is dropped, not run later.
        result = embed_query_task.apply_async(
            args=[text], expires=QUERY_EMBED_TIMEOUT_S, retry=False
        )
        vector = result.get(timeout=QUERY_EMBED_TIMEOUT_S)
    except (ResultTimeout, OperationalError, RedisError, OSError) as exc:
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
