"""Clustered unit vectors shaped like a photo library's image embeddings, for the
approximate index's recall (tests/search/test_vector_index.py, scripts/bench_vectors.py).

Uniform random vectors are the wrong test in both directions: in 768 dimensions they are
all nearly orthogonal (every cosine ~0 +- 0.04), so the "nearest" ten are noise that no
index can find reliably, and no query is near anything, as no real query is. Real
SigLIP/CLIP image embeddings differ in the ways this generator copies:
- one shared direction (every photo is "a photo"): pairwise cosines average ~0.3, not 0;
- a low intrinsic dimension (here 64 directions of variation, embedded in 768);
- clusters of very uneven size (events, trips, the cat: log-normal sizes, the largest
  ~1 % of the library), with spread inside each (cosine to the nearest item ~0.9);
- a little noise in every dimension.
Queries are held-out points drawn the same way, near some items but equal to none: a
query's ten nearest items sit at cosine ~0.7-0.87, as a good text query's matches do.
"""

from __future__ import annotations

import numpy as np

INTRINSIC = 64
CLUSTERS = 2000
SHARED = 0.8  # weight of the direction every vector shares
SPREAD = 0.6  # an item's distance from its cluster's centre, in the intrinsic space
NOISE = 0.015  # per dimension, in all 768


def clustered(
    count: int, queries: int, *, dims: int = 768, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(count x dims vectors, queries x dims query vectors), float32, unit length."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dims, INTRINSIC)))[0].T.astype(np.float32)
    shared = rng.standard_normal(dims).astype(np.float32)
    shared /= np.linalg.norm(shared)
    centres = rng.standard_normal((CLUSTERS, INTRINSIC)).astype(np.float32)
    sizes = rng.lognormal(0.0, 1.0, CLUSTERS)

    def draw(n: int) -> np.ndarray:
        labels = rng.choice(CLUSTERS, n, p=sizes / sizes.sum())
        low = centres[labels] + SPREAD * rng.standard_normal((n, INTRINSIC), dtype=np.float32)
        vectors = (low @ basis) / INTRINSIC**0.5 + SHARED * shared
        vectors += NOISE * rng.standard_normal((n, dims), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    return draw(count), draw(queries)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of each query's k nearest vectors (exact, by cosine), best first."""
    scores = queries @ vectors.T
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def recall_at(found: list[list[int]], truth: np.ndarray) -> float:
    """Share of the exact top-k that the approximate search also returned, over the queries."""
    k = truth.shape[1]
    hits = sum(
        len(set(row[:k]) & set(true.tolist())) for row, true in zip(found, truth, strict=True)
    )
    return hits / (k * len(truth))
