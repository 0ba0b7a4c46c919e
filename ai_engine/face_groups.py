"""Grouping face embeddings into people: plain numpy, no Django, no model.

dlib's embeddings put two photos of one person within ~0.6 of each other
(Euclidean, the threshold its authors tested on LFW); a stricter 0.5 here keeps
strangers apart at the cost of a few more unnamed groups, which the owner can merge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .types import FaceFound

JOIN_DISTANCE = 0.5  # a new face joins a person whose nearest face is this close
CLUSTER_DISTANCE = 0.5  # DBSCAN's eps for faces nobody has been assigned to
MIN_FACES = 2  # a new person needs at least this many faces close together
SAME_FACE_DISTANCE = 0.35  # one face seen in two video frames
BLOCK = 256  # rows of the distance matrix at once: 256 x 100,000 x 4 B = 100 MB


def distinct_faces(faces: list[FaceFound]) -> list[FaceFound]:
    """Faces from several video frames, each person once (the first, best-scored sighting)."""
    import numpy as np

    kept: list[FaceFound] = []
    for face in sorted(faces, key=lambda f: -f.score):
        vector = np.asarray(face.embedding, dtype=np.float32)
        if all(
            np.linalg.norm(vector - np.asarray(k.embedding, dtype=np.float32)) > SAME_FACE_DISTANCE
            for k in kept
        ):
            kept.append(face)
    return kept


def nearest(vector: np.ndarray, known: np.ndarray) -> tuple[int, float]:
    """Index and distance of the row of `known` nearest to `vector`; (-1, inf) when empty."""
    import numpy as np

    if len(known) == 0:
        return -1, float("inf")
    distances = np.linalg.norm(known - vector, axis=1)
    best = int(distances.argmin())
    return best, float(distances[best])


def cluster(
    vectors: np.ndarray, eps: float = CLUSTER_DISTANCE, min_faces: int = MIN_FACES
) -> np.ndarray:
    """DBSCAN over rows of `vectors`: a label per row, -1 for faces that stay alone.

    Neighbours are found a block of rows at a time, so 100,000 faces never need
    the full 100,000 x 100,000 matrix.
    """
    import numpy as np

    n = len(vectors)
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    squares = (vectors * vectors).sum(axis=1)
    neighbours: list[np.ndarray] = []
    eps2 = eps * eps
    for start in range(0, n, BLOCK):
        # |a-b|^2 = |a|^2 + |b|^2 - 2ab, in place: one BLAS product and no temporaries.
        d2 = vectors[start : start + BLOCK] @ vectors.T
        d2 *= -2.0
        d2 += squares[None, :]
        d2 += squares[start : start + BLOCK, None]
        rows, cols = np.nonzero(d2 <= eps2)
        neighbours.extend(np.split(cols, np.searchsorted(rows, np.arange(1, len(d2)))))
    core = np.array([len(nb) >= min_faces for nb in neighbours])
    label = 0
    for seed in range(n):
        if labels[seed] != -1 or not core[seed]:
            continue
        labels[seed] = label
        stack = [seed]
        while stack:
            point = stack.pop()
            if not core[point]:
                continue
            for other in neighbours[point]:
                if labels[other] == -1:
                    labels[other] = label
                    stack.append(int(other))
        label += 1
    return labels
