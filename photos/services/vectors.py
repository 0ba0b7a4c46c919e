"""Meaning search: items' vectors in two spaces, and nearest-neighbour search over them.

- Text space (always): the sentence embedding (MiniLM) of each item's description,
  tags and place. It finds what the words say, in other words ("kitty" for a cat).
- Image space (with an image-text model, the transformers backend): the photo's own
  vector from SigLIP 2 or CLIP, stored with the model's id. It finds what the AI failed
  to write ("water" for a lake tagged "blue").

Vectors are computed by workers, where torch is loaded anyway; the web process never
loads a model, so the query is embedded by a worker too (embed_query_task, on the
interactive queue: one vector per space) and the web process only searches the cached
index (photos.services.vector_index: exact, or approximate past SEARCH_ANN_MIN_VECTORS).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import Max, Q
from django.db.models.functions import Length
from django.utils import timezone

from photos.models import MediaItem, ProcessingStatus
from photos.services import queue
from photos.services.vector_index import ApproximateIndex, VectorIndex

if TYPE_CHECKING:
    from ai_engine import Analysis

logger = logging.getLogger(__name__)

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Below this cosine a "meaning" hit is mostly noise (unrelated texts score 0.0-0.25
# with this model; "kitty" against a cat description ~0.6).
MIN_COSINE = 0.35
MEANING_LIMIT = 200
# Reciprocal rank fusion's damping constant, as the word search uses (Cormack et al.: 60).
RRF_K = 60
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


def items_embedding_texts(item_ids: Collection[int]) -> dict[int, str]:
    """The items' current embedding texts, by id (an id with no row is left out), in one
    read of only the columns they need, not the whole rows, which hold the old embedding
    and the search vector: a row per tag, in name order (one row, tag None, for none)."""
    rows = (
        MediaItem.objects.filter(pk__in=item_ids)
        .order_by("pk", "item_tags__tag__name")
        .values_list("pk", "ai_description", "ai_analysis__place", "item_tags__tag__name")
    )
    texts: dict[int, str] = {}
    for item_id, group in groupby(rows, key=itemgetter(0)):
        item_rows = list(group)
        _, description, place, _ = item_rows[0]
        names = [name for *_, name in item_rows if name is not None]
        texts[item_id] = embedding_text(description, ", ".join(names), place)
    return texts


def items_embedding_update(item_ids: Collection[int]) -> int:
    """Recompute these items' embeddings from their current texts, in one pass of the model
    (loads it: workers only); returns how many rows were written.

    Several texts in one pass cost about half as much each as one at a time (MiniLM on a
    CPU, 8-32 texts). An item with no text gets an empty value: "nothing to embed", which
    the index skips and the sweep (looking for NULL) leaves alone.
    """
    from photos.services.ai import texts_embed

    texts = items_embedding_texts(item_ids)
    with_text = [item_id for item_id, text in texts.items() if text]
    vectors = texts_embed([texts[item_id] for item_id in with_text])
    values = dict.fromkeys(texts, b"") | {
        item_id: vector.tobytes() for item_id, vector in zip(with_text, vectors, strict=True)
    }
    now = timezone.now()
    rows = [
        MediaItem(pk=pk, embedding=value, embedding_updated_at=now) for pk, value in values.items()
    ]
    # One UPDATE for the whole group, not one per row.
    MediaItem.objects.bulk_update(rows, ["embedding", "embedding_updated_at"])
    return len(values)


def items_embedding_refresh(item_ids: Collection[int]) -> None:
    """After processing, and for the refresh tasks: an item whose analysis succeeded stays
    completed even when the embedding model is missing or fails; it is then found by words
    only, and marked so (empty) rather than sent again by every sweep."""
    try:
        items_embedding_update(item_ids)
    except (ImportError, OSError, RuntimeError, ValueError):
        logger.exception("Embedding of items %s failed; found by words only", list(item_ids))
        MediaItem.objects.filter(pk__in=item_ids).update(
            embedding=b"", embedding_updated_at=timezone.now()
        )


def item_embedding_refresh(*, item_id: int) -> None:
    """One item's embedding, at once: after an upload is processed, or a person's edit."""
    items_embedding_refresh([item_id])


def group_embeddings_when_done(group: Collection[int]) -> int:
    """Items processed as a group (a batch's send) embed together: whichever finishes
    last embeds the group's completed items still without an embedding; returns how many.

    Two that finish at once may both see the group done and embed it twice, which is
    harmless. A group member that never finishes (its worker died) holds the group up;
    the sweep then finds the other members by their NULL embedding.
    """
    unfinished = [ProcessingStatus.PENDING, ProcessingStatus.PROCESSING]
    # One read: the members still being worked on, and those completed without a vector.
    rows = list(
        MediaItem.objects.filter(pk__in=group)
        .filter(
            Q(processing_status__in=unfinished)
            | Q(processing_status=ProcessingStatus.COMPLETED, embedding=None)
        )
        .values_list("pk", "processing_status")
    )
    if any(status in unfinished for _, status in rows):
        return 0
    waiting = [pk for pk, _ in rows]
    if waiting:
        items_embedding_refresh(waiting)
    return len(waiting)


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


# --- image space: writing ---------------------------------------------------------


def image_space_fields(analysis: Analysis) -> dict[str, Any]:
    """The columns an analysis writes for image-space search: the photo's vector and its
    model's id; none on a backend without an image-text model."""
    if not analysis.image_embedding:
        return {"image_embedding": None, "image_embedding_model": ""}
    vector = np.asarray(analysis.image_embedding, dtype=np.float32)
    return {"image_embedding": vector.tobytes(), "image_embedding_model": analysis.image_model}


def item_image_embedding_update(*, item_id: int) -> bool:
    """Place the item in the current image-text model's space again (after a model change,
    or for items processed before there was one); loads the model: workers only.

    An item whose file is gone or unreadable gets an empty vector with the model's id:
    "nothing to embed", which the index skips and the sweep leaves alone. Other errors
    (a model that fails to load) raise: the sweep asks again later.
    """
    from ai_engine.errors import UnreadableMedia
    from photos.services.ai import image_model_current, item_image_embed

    item = MediaItem.objects.only("kind", "original", "original_filename").filter(pk=item_id)
    found = item.first()
    if found is None:
        return False
    try:
        placed = item_image_embed(found)
    except (UnreadableMedia, FileNotFoundError) as exc:
        logger.warning("Item %s cannot be placed in image space: %s", item_id, exc)
        placed = (b"", image_model_current())
    if placed is None:  # no image-text model (any more)
        return False
    vector, model = placed
    MediaItem.objects.filter(pk=item_id).update(
        image_embedding=vector, image_embedding_model=model, embedding_updated_at=timezone.now()
    )
    return True


def stale_image_embeddings_enqueue() -> int:
    """The sweep (it runs on a worker, which can read the model folder): completed items with
    no vector from the current image-text model, because the model changed or came after
    them. On the batch queue, a few hundred per sweep, like the text embeddings."""
    from photos.services.ai import image_model_current

    current = image_model_current()
    if not current:
        return 0
    items = list(
        MediaItem.objects.filter(processing_status=ProcessingStatus.COMPLETED)
        .exclude(image_embedding_model=current)
        .order_by("pk")
        .values_list("pk", "kind")[: settings.AI_BATCH_SIZE]
    )
    if items:
        queue.image_embedding_update_on_commit(items=items, expires_s=settings.AI_SWEEP_INTERVAL)
        logger.info("Sweep: queued %d items for image space (%s)", len(items), current)
    return len(items)


# --- the query -------------------------------------------------------------------


@dataclass(frozen=True)
class QueryVectors:
    """A query embedded by the worker: in text space, and in image space when there is an
    image-text model (`image_model` names it; `image_min_cosine` is its relevance floor)."""

    text: np.ndarray
    image: np.ndarray | None = None
    image_model: str = ""
    image_min_cosine: float = 1.0

    @classmethod
    def from_task(cls, answer: Any) -> QueryVectors:
        # A bare list: a worker from before image space (during a rolling upgrade).
        if isinstance(answer, list):
            return cls(text=np.asarray(answer, dtype=np.float32))
        image = answer.get("image")
        return cls(
            text=np.asarray(answer["text"], dtype=np.float32),
            image=np.asarray(image["vector"], dtype=np.float32) if image else None,
            image_model=image["model"] if image else "",
            image_min_cosine=float(image["min_cosine"]) if image else 1.0,
        )


def query_embed(text: str) -> QueryVectors | None:
    """The query's vectors, computed by the interactive worker; None when none answers
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
        answer = result.get(timeout=QUERY_EMBED_TIMEOUT_S)
    except failures as exc:
        logger.warning("No worker embedded the search query (%s); words only", exc)
        return None
    result.forget()
    return QueryVectors.from_task(answer)


# --- the index -------------------------------------------------------------------


@dataclass(frozen=True)
class Space:
    """Where vectors of one kind live: the text space, or one image-text model's space."""

    name: str
    column: str
    model: str = ""  # image space: the id the rows must carry

    @classmethod
    def text(cls) -> Space:
        return cls(name=f"text:{EMBEDDING_MODEL}", column="embedding")

    @classmethod
    def image(cls, model: str) -> Space:
        return cls(name=f"image:{model}", column="image_embedding", model=model)

    def rows(self) -> Any:
        """The items with a vector here (b"": nothing to embed, skipped by length later)."""
        having = ~Q(**{self.column: None})
        if self.model:
            having &= Q(image_embedding_model=self.model)
        return MediaItem.objects.filter(having).order_by("pk")


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


def index_key() -> tuple:
    """Changes when any vector is written or rewritten (processing, a person's edit).

    Two index probes (~0.1 ms at 100k items; the count over the table it replaces
    took ~190 ms). A deleted item only leaves a stale row in the cached index,
    which INDEX_MAX_AGE_S bounds and which search drops anyway: it asks the
    database for the rows of the ids it found.
    """
    stats = MediaItem.objects.aggregate(latest=Max("embedding_updated_at"), top=Max("pk"))
    return (stats["latest"], stats["top"])


def index_for(space: Space | None = None) -> VectorIndex:
    """The space's index (default: text), cached per process; rebuilt (or, when approximate,
    brought up to date) only when its key changes or it ages."""
    space = space or Space.text()
    with _cache_lock:
        cached = _cache.get(space.name)
        now = time.monotonic()
        if cached and now - cached.checked_at < KEY_CHECK_INTERVAL_S:
            return cached.index
        key = index_key()
        if cached and cached.key == key and now - cached.built_at < INDEX_MAX_AGE_S:
            cached.checked_at = now
            return cached.index
        index = index_build(space, previous=cached.index if cached else None)
        if space.model and not cached:  # a new image-text model: the old one's index goes
            for name in [name for name in _cache if name.startswith("image:")]:
                del _cache[name]
        _cache[space.name] = _Cached(key=key, index=index)
        return index


def index_build(space: Space | None = None, previous: VectorIndex | None = None) -> VectorIndex:
    """The exact index of the space's rows; an approximate index is refreshed in place
    instead (only new and rewritten vectors are read), and past SEARCH_ANN_MIN_VECTORS one
    is built beside the exact index, which answers until it is ready."""
    space = space or Space.text()
    if isinstance(previous, ApproximateIndex):
        refreshed = index_refresh(space, previous)
        if refreshed is not None:
            return refreshed
    ids, albums, kinds, updated, chunks = [], [], [], [], []
    dims = DIMENSIONS if space.column == "embedding" else 0
    fields = ("pk", "album_id", "kind", "embedding_updated_at", space.column)
    for pk, album_id, kind, at, blob in space.rows().values_list(*fields).iterator(5000):
        dims = dims or len(blob) // 4  # image space: the model's own width
        if dims and len(blob) == dims * 4:  # another model's vectors would not compare
            ids.append(pk)
            albums.append(album_id)
            kinds.append(kind)
            updated.append(_micros(at))
            chunks.append(bytes(blob))
    matrix = np.frombuffer(b"".join(chunks), dtype=np.float32).reshape(len(ids), dims or 1)
    exact = VectorIndex(
        np.asarray(ids, dtype=np.int64),
        matrix,
        np.asarray(albums, dtype=np.int64),
        np.asarray(kinds, dtype=str),
    )
    if len(ids) >= settings.SEARCH_ANN_MIN_VECTORS:
        approximate_build_start(space, exact, np.asarray(updated, dtype=np.int64))
    return exact


_building: set[str] = set()


def approximate_build_start(space: Space, exact: VectorIndex, updated: np.ndarray) -> None:
    """Build the approximate index in a thread. It takes ~25 CPU-seconds at 100,000 768-d
    vectors: inside a search it would hold every search of this process (and outlast a
    web worker's timeout). Once built it replaces the exact index, marked stale so that
    the next search brings it up to date with what changed meanwhile."""
    if space.name in _building:
        return
    _building.add(space.name)

    def build() -> None:
        try:
            started = time.process_time()
            index = ApproximateIndex.build(
                exact.ids, exact.matrix, exact.album_ids, exact.kinds, updated
            )
            with _cache_lock:
                cached = _cache.get(space.name)
                if cached and not isinstance(cached.index, ApproximateIndex):
                    cached.index, cached.key, cached.checked_at = index, (), 0.0
            logger.info(
                "Approximate %s index of %d vectors built (%.1f CPU-s)",
                space.name,
                len(index),
                time.process_time() - started,
            )
        except Exception:  # the exact index keeps answering
            logger.exception("Building the approximate %s index failed", space.name)
        finally:
            _building.discard(space.name)

    threading.Thread(target=build, name=f"ann-{space.name}", daemon=True).start()


def index_refresh(space: Space, previous: ApproximateIndex) -> ApproximateIndex | None:
    """The approximate index brought up to date: the rows' ids, albums, kinds and write
    times are read (no vectors), then the vectors of new and rewritten rows only.
    None when it should be rebuilt or replaced (it shrank below the threshold)."""
    width = previous.graph.ndim * 4
    fields = ("pk", "album_id", "kind", "embedding_updated_at")
    rows = space.rows().annotate(vector_bytes=Length(space.column)).filter(vector_bytes=width)
    found = list(rows.values_list(*fields).iterator(20_000))
    if len(found) < settings.SEARCH_ANN_MIN_VECTORS:
        return None
    ids = np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found))
    albums = np.fromiter((r[1] for r in found), dtype=np.int64, count=len(found))
    kinds = np.asarray([r[2] for r in found], dtype=str)
    updated = np.fromiter((_micros(r[3]) for r in found), dtype=np.int64, count=len(found))

    def vectors_of(pks: np.ndarray) -> np.ndarray:
        return _vectors_read(space, pks.tolist(), previous.graph.ndim)

    return previous.refreshed(ids, albums, kinds, updated, vectors_of)


def _vectors_read(space: Space, pks: Iterable[int], dims: int) -> np.ndarray:
    """These rows' vectors, in the order of `pks` (sorted, as an index's ids are)."""
    pks = list(pks)
    blobs: dict[int, bytes] = {}
    for start in range(0, len(pks), 5000):
        chunk = pks[start : start + 5000]
        rows = MediaItem.objects.filter(pk__in=chunk).values_list("pk", space.column)
        blobs.update((pk, bytes(blob)) for pk, blob in rows)
    # A row rewritten between the two reads: its newer vector, of the same width (checked).
    zero = bytes(dims * 4)
    joined = b"".join(
        blobs.get(pk, zero) if len(blobs.get(pk, b"")) == dims * 4 else zero for pk in pks
    )
    return np.frombuffer(joined, dtype=np.float32).reshape(len(pks), dims)


def _micros(at: Any) -> int:
    return int(at.timestamp() * 1_000_000) if at is not None else 0


def meaning_search(
    *,
    query: QueryVectors | np.ndarray,
    album_ids: list[int],
    kind: str | None = None,
    allowed_ids: list[int] | None = None,
    k: int = MEANING_LIMIT,
) -> list[tuple[int, float]]:
    """Ids of the items of this kind (None: any) in these albums (and among allowed_ids, when
    given) near the query, nearest first, with their fused score.

    Each space answers above its own floor (MiniLM: MIN_COSINE; image space: the model's
    probability floor). Both lists are fused by reciprocal rank: an item both spaces find
    comes first, then the best of either; an item without an image vector (processed before
    the model came) is still found by its text.
    """
    if isinstance(query, np.ndarray):
        query = QueryVectors(text=query)
    lists = [space_search(Space.text(), query.text, MIN_COSINE, album_ids, kind, allowed_ids, k)]
    if query.image is not None and query.image_model:
        image = Space.image(query.image_model)
        floor = query.image_min_cosine
        lists.append(space_search(image, query.image, floor, album_ids, kind, allowed_ids, k))
    return rank_fused(lists)[:k]


def space_search(
    space: Space,
    query_vec: np.ndarray,
    floor: float,
    album_ids: list[int],
    kind: str | None,
    allowed_ids: list[int] | None,
    k: int,
) -> list[tuple[int, float]]:
    """(id, cosine) of the nearest items in one space, at least `floor`."""
    index = index_for(space)
    if len(index) == 0 or index.matrix.shape[1] != len(query_vec):
        return []
    allowed = index.ids_in_albums(album_ids, kind)
    if allowed_ids is not None:
        allowed = allowed[np.isin(allowed, allowed_ids)]
    if len(allowed) == 0:
        return []
    hits = index.search(query_vec, allowed, k)
    return [(pk, score) for pk, score in hits if score >= floor]


def rank_fused(lists: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion (k=60, as the word search uses) of ranked (id, score) lists."""
    if len(lists) == 1:
        return lists[0]
    fused: dict[int, float] = {}
    for hits in lists:
        for rank, (pk, _score) in enumerate(hits, start=1):
            fused[pk] = fused.get(pk, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])
