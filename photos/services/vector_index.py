"""Nearest-neighbour search over unit vectors: exact (a matrix product) or approximate (HNSW).

No Django here: photos.services.vectors reads the rows and picks the index, and
scripts/bench_vectors.py measures both on the same vectors.

Exact search costs one multiply-add per dimension and row: at 100,000 768-d vectors
~70-90 ms a query (p50, measured on a shared 2-core box at load average 4-9). Past
settings.SEARCH_ANN_MIN_VECTORS the approximate index answers in ~1 ms instead, at a
recall@10 of ~0.99 against exact search (scripts/bench_vectors.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

# HNSW parameters (usearch). Measured at 100,000 clustered 768-d vectors on 2 shared cores
# (scripts/bench_vectors.py): connectivity 16 and expansion 40 on adding build the graph in
# ~27-38 CPU-s with recall@10 0.994-0.998 at expansion 128 on search; connectivity 8 with
# expansion 32 saved only ~15 % of the build and dropped recall to 0.950. Half-precision
# vectors halve the memory (~273 MiB at 100k, graph included, against 293 MiB for the
# float32 matrix alone) and cost no measurable recall; 8-bit ones capped it at ~0.90.
CONNECTIVITY = 16
EXPANSION_ADD = 40
EXPANSION_SEARCH = 128
DTYPE = "f16"
# A filter (owner, album, kind) that leaves this many rows or fewer is answered exactly
# over those rows: cheap, and the graph, searched for the whole library, would have to be
# asked for very many candidates to find k inside a small subset.
EXACT_MAX_ROWS = 20_000


class VectorIndex:
    """Exact cosine search over unit vectors: one matrix-vector product.

    `ids` is sorted; `album_ids` and `kinds` (each row's kind name) are the cheap filters.
    """

    def __init__(
        self, ids: np.ndarray, matrix: np.ndarray, album_ids: np.ndarray, kinds: np.ndarray
    ) -> None:
        self.ids = ids
        self.matrix = matrix
        self.album_ids = album_ids
        self.kinds = kinds

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query_vec: np.ndarray, allowed_ids: np.ndarray | None, k: int
    ) -> list[tuple[int, float]]:
        """Up to k (id, cosine) pairs, best first, among allowed_ids (None: all)."""
        rows = np.arange(len(self.ids)) if allowed_ids is None else self.rows_of(allowed_ids)
        return self.exact(query_vec, rows, k)

    def exact(self, query_vec: np.ndarray, rows: np.ndarray, k: int) -> list[tuple[int, float]]:
        if len(rows) == 0 or k <= 0:
            return []
        query_vec = query_vec.astype(np.float32, copy=False)
        if len(rows) * 4 >= len(self.matrix) > 0:
            # Most rows: one product over the whole matrix, then pick, rather than copy
            # most of it first (a gather of 90 % of 100k 768-d rows moves ~270 MB).
            scores = (self.matrix @ query_vec)[rows]
        else:
            scores = self.vectors_at(rows) @ query_vec
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self.ids[rows[i]]), float(scores[i])) for i in top]

    def vectors_at(self, rows: np.ndarray) -> np.ndarray:
        return self.matrix[rows]

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


class ApproximateIndex(VectorIndex):
    """The same interface over an HNSW graph (usearch); the vectors live only in the graph.

    `updated` (each row's write time, as an integer) tells a refresh which vectors changed,
    so a new or edited item costs one insertion, not a rebuild of the graph.
    """

    def __init__(
        self,
        ids: np.ndarray,
        album_ids: np.ndarray,
        kinds: np.ndarray,
        updated: np.ndarray,
        graph: _Graph,
    ) -> None:
        super().__init__(ids, np.empty((0, graph.ndim), dtype=np.float32), album_ids, kinds)
        self.updated = updated
        self.graph = graph

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        matrix: np.ndarray,
        album_ids: np.ndarray,
        kinds: np.ndarray,
        updated: np.ndarray,
        *,
        threads: int = 0,
    ) -> ApproximateIndex:
        graph = _Graph(matrix.shape[1])
        graph.add(ids, matrix, threads=threads)
        return cls(ids, album_ids, kinds, updated, graph)

    def refreshed(
        self,
        ids: np.ndarray,
        album_ids: np.ndarray,
        kinds: np.ndarray,
        updated: np.ndarray,
        vectors_of: Callable[[np.ndarray], np.ndarray],
    ) -> ApproximateIndex:
        """The index for the rows now (sorted `ids`): rows gone or rewritten leave the graph,
        new and rewritten ones join it (their vectors from `vectors_of`). This index's graph
        is reused: searches on the old object see it change, which only moves them forward."""
        positions = np.clip(np.searchsorted(self.ids, ids), 0, max(len(self.ids) - 1, 0))
        unchanged = np.zeros(len(ids), dtype=bool)
        if len(self.ids):
            unchanged = (self.ids[positions] == ids) & (self.updated[positions] == updated)
        fresh = ids[~unchanged]
        stale = np.setdiff1d(self.ids, ids[unchanged], assume_unique=True)
        self.graph.remove(stale)
        if len(fresh):
            self.graph.add(fresh, vectors_of(fresh))
        return ApproximateIndex(ids, album_ids, kinds, updated, self.graph)

    def search(
        self, query_vec: np.ndarray, allowed_ids: np.ndarray | None, k: int
    ) -> list[tuple[int, float]]:
        if allowed_ids is None:
            keys, cosines = self.graph.search(query_vec, min(k, len(self)))
            return list(zip(keys.tolist(), cosines.tolist(), strict=True))
        rows = self.rows_of(allowed_ids)
        if len(rows) <= EXACT_MAX_ROWS:
            return self.exact(query_vec, rows, k)
        # Ask the graph for enough candidates that about k fall inside the filter
        # (twice the expected number), and go exact in the rare case they don't.
        want = min(len(self), int(2 * k * len(self) / len(rows)) + 1)
        keys, cosines = self.graph.search(query_vec, want)
        allowed = np.zeros(len(self), dtype=bool)
        allowed[rows] = True
        at = np.clip(np.searchsorted(self.ids, keys), 0, len(self) - 1)
        inside = (self.ids[at] == keys) & allowed[at]
        if inside.sum() >= min(k, len(rows)):
            return list(zip(keys[inside][:k].tolist(), cosines[inside][:k].tolist(), strict=True))
        return self.exact(query_vec, rows, k)

    def vectors_at(self, rows: np.ndarray) -> np.ndarray:
        return self.graph.get(self.ids[rows])


class _Graph:
    """usearch's index behind a lock: a refresh (add, remove) never runs beside a search."""

    def __init__(self, ndim: int) -> None:
        from usearch.index import Index

        self.ndim = ndim
        self.lock = threading.Lock()
        self.index = Index(
            ndim=ndim,
            metric="cos",
            dtype=DTYPE,
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )

    def add(self, ids: np.ndarray, vectors: np.ndarray, *, threads: int = 0) -> None:
        with self.lock:
            self.index.add(ids.astype(np.uint64), vectors.astype(np.float32), threads=threads)

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            with self.lock:
                self.index.remove(ids.astype(np.uint64))

    def search(self, query_vec: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The `count` nearest keys, best first, and their cosines."""
        if count <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        with self.lock:
            found = self.index.search(query_vec.astype(np.float32), count)
        # usearch's cosine distance is 1 - cosine.
        return found.keys.astype(np.int64), 1.0 - found.distances.astype(np.float32)

    def get(self, ids: np.ndarray) -> np.ndarray:
        with self.lock:
            vectors = self.index.get(ids.astype(np.uint64), dtype="f32")
        return np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.ndim)

    @property
    def memory_bytes(self) -> int:
        return int(self.index.memory_usage)
