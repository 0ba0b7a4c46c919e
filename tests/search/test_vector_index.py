"""The approximate index (usearch HNSW) against exact search: recall, filters, refreshes."""

from __future__ import annotations

import time

import numpy as np
import pytest

from photos.services import vector_index
from photos.services.vector_index import ApproximateIndex, VectorIndex

from .clustered import clustered, exact_top, recall_at


def arrays(count: int, albums: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ids = np.arange(100, 100 + count, dtype=np.int64)
    album_ids = (np.arange(count) % albums + 1).astype(np.int64)
    kinds = np.where(np.arange(count) % 4 == 0, "video", "photo")
    return ids, album_ids, kinds, np.zeros(count, dtype=np.int64)


def test_approximate_search_finds_95_percent_of_the_exact_top_10_at_100000_vectors():
    # The bar, at SigLIP 2 base's width; the figures (and latency) come from
    # scripts/bench_vectors.py, which builds the same index with the same parameters.
    vectors, queries = clustered(100_000, 200, dims=768)
    ids, album_ids, kinds, updated = arrays(len(vectors))
    index = ApproximateIndex.build(ids, vectors, album_ids, kinds, updated)

    found = [[pk - 100 for pk, _ in index.search(q, None, 10)] for q in queries]

    assert recall_at(found, exact_top(vectors, queries, 10)) >= 0.95


def test_it_answers_like_exact_search_inside_a_filter(monkeypatch):
    vectors, queries = clustered(4000, 20, dims=64, seed=1)
    ids, album_ids, kinds, updated = arrays(len(vectors))
    approximate = ApproximateIndex.build(ids, vectors, album_ids, kinds, updated)
    exact = VectorIndex(ids, vectors, album_ids, kinds)
    mine = exact.ids_in_albums([1], "photo")
    assert list(approximate.ids_in_albums([1], "photo")) == list(mine)

    def agree(query: np.ndarray, allowed: np.ndarray) -> float:
        want = {pk for pk, _ in exact.search(query, allowed, 10)}
        got = approximate.search(query, allowed, 10)
        assert {pk for pk, _ in got} <= set(allowed.tolist())  # the filter always holds
        return len(want & {pk for pk, _ in got}) / 10

    # A small subset: answered exactly over its rows.
    assert all(agree(q, mine[:300]) == 1.0 for q in queries)
    # Past EXACT_MAX_ROWS the graph is asked for more candidates and filtered.
    monkeypatch.setattr(vector_index, "EXACT_MAX_ROWS", 0)
    assert np.mean([agree(q, mine) for q in queries]) >= 0.95


def test_a_refresh_adds_new_rewritten_and_drops_deleted_vectors():
    vectors, _ = clustered(3000, 1, dims=64, seed=2)
    ids, album_ids, kinds, updated = arrays(len(vectors))
    index = ApproximateIndex.build(ids, vectors, album_ids, kinds, updated)
    deleted, rewritten, new = 150, 160, 99_999
    target = vectors[0]  # the rewritten and the new item now lie exactly on it
    keep = ids != deleted
    now_ids = np.append(ids[keep], new)
    now_vectors = np.vstack([vectors[keep], target])
    now_vectors[now_ids == rewritten] = target
    now_updated = np.append(updated[keep], 7)
    now_updated[now_ids == rewritten] = 7
    asked: list[int] = []

    def vectors_of(pks: np.ndarray) -> np.ndarray:
        asked.extend(pks.tolist())
        return now_vectors[np.searchsorted(now_ids, pks)]

    fresh = index.refreshed(
        now_ids, np.append(album_ids[keep], 1), np.append(kinds[keep], "photo"), now_updated,
        vectors_of,
    )  # fmt: skip

    assert sorted(asked) == [rewritten, new]  # only what changed is read again
    nearest = [pk for pk, _ in fresh.search(target, None, 3)]
    assert set(nearest) == {100, rewritten, new}
    assert deleted not in [pk for pk, _ in fresh.search(vectors[50], None, 50)]
    assert len(fresh) == len(ids)
    rows = fresh.rows_of(np.array([rewritten]))
    assert fresh.vectors_at(rows)[0] == pytest.approx(target, abs=1e-3)  # half precision


@pytest.fixture
def fresh_index(monkeypatch):
    from photos.services import vectors

    monkeypatch.setattr(vectors, "KEY_CHECK_INTERVAL_S", 0.0)  # every search checks the key
    vectors.index_cache_clear()
    yield vectors
    vectors.index_cache_clear()


@pytest.mark.django_db
def test_past_the_configured_size_search_turns_approximate_and_follows_changes(
    settings, fresh_index, make_item, album, monkeypatch
):
    from django.utils import timezone

    from photos.models import MediaItem

    vectors = fresh_index
    settings.SEARCH_ANN_MIN_VECTORS = 30
    points, _ = clustered(40, 1, dims=vectors.DIMENSIONS, seed=3)

    def store(pk: int, vector: np.ndarray) -> None:
        MediaItem.objects.filter(pk=pk).update(
            embedding=vector.tobytes(), embedding_updated_at=timezone.now()
        )

    items = [make_item(album).pk for _ in points]
    for pk, vector in zip(items, points, strict=True):
        store(pk, vector)

    def nearest(vector: np.ndarray, k: int = 3) -> list[int]:
        hits = vectors.meaning_search(query=vector, album_ids=[album.pk], k=k)
        return [pk for pk, _ in hits]

    # The first search is exact: the graph is built beside it, in a thread.
    assert not isinstance(vectors.index_for(), ApproximateIndex)
    assert nearest(points[0])[0] == items[0]
    deadline = time.monotonic() + 60
    while not isinstance(vectors.index_for(), ApproximateIndex):
        assert time.monotonic() < deadline, "the approximate index was never installed"
        time.sleep(0.05)
    assert nearest(points[0])[0] == items[0]

    # An edit, an addition and a deletion reach it at the next search, like the exact one.
    store(items[5], points[0])
    added = make_item(album).pk
    store(added, points[0])
    MediaItem.objects.filter(pk=items[7]).delete()
    assert set(nearest(points[0])) == {items[0], items[5], added}
    assert items[7] not in nearest(points[7], k=40)
    assert isinstance(vectors.index_for(), ApproximateIndex)

    # Back under the size: exact again. A deletion alone does not move the key; like the
    # exact index, the approximate one is refreshed when it ages.
    MediaItem.objects.filter(pk__in=items[10:30]).delete()
    monkeypatch.setattr(vectors, "INDEX_MAX_AGE_S", 0.0)
    assert not isinstance(vectors.index_for(), ApproximateIndex)
    assert nearest(points[0])[:1] in ([items[0]], [items[5]], [added])
