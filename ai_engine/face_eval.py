"""The people test set, and how well grouping does on it (`python -m ai_engine.face_eval`).

There is no internet here and no package ships several different photos of one
person, so "same person" is built from real augmentations of one real face photo
(crop, scale, rotation, light, JPEG quality, mirror) and "different people" are the
other real faces of the evaluation set. See ai_engine/evalset/PEOPLE.md.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from .types import FaceFound

EVALSET = Path(__file__).parent / "evalset"
# One real person per photo, each a different person (checked by eye).
IDENTITIES = {
    "astronaut": "tune/skimage-astronaut.jpg",
    "grace-hopper": "tune/matplotlib-grace-hopper.jpg",
    "pyfeat-single": "tune/pyfeat-single-face.jpg",
    "pyfeat-smile": "holdout/pyfeat-portrait-smile.jpg",
    "pyfeat-hand": "tune/pyfeat-man-hand-on-head.jpg",
}
# Group photos: every face in them is another, different person.
STRANGERS = ["tune/insightface-t1.jpg", "tune/pyfeat-multi-face.jpg"]


def _crop(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(w * 0.08), int(h * 0.05), int(w * 0.95), int(h * 0.97)))


def _scale(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2))


def _rotate(angle: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: image.rotate(angle, expand=False, fillcolor=(128, 128, 128))


def _light(factor: float) -> Callable[[Image.Image], Image.Image]:
    from PIL import ImageEnhance

    return lambda image: ImageEnhance.Brightness(image).enhance(factor)


def _jpeg(image: Image.Image) -> Image.Image:
    from PIL import Image

    out = io.BytesIO()
    image.save(out, "JPEG", quality=25)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _mirror(image: Image.Image) -> Image.Image:
    from PIL import ImageOps

    return ImageOps.mirror(image)


VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "original": lambda image: image,
    "crop": _crop,
    "half-size": _scale,
    "rotate+10": _rotate(10),
    "rotate-10": _rotate(-10),
    "darker": _light(0.6),
    "brighter": _light(1.4),
    "jpeg-q25": _jpeg,
    "mirror": _mirror,
}


def identity_photos(
    identities: dict[str, str] = IDENTITIES, variants: list[str] | None = None
) -> Iterator[tuple[str, str, Image.Image]]:
    """(identity, variant, image) for every augmented photo of each identity."""
    from PIL import Image

    for name, path in identities.items():
        original = Image.open(EVALSET / path).convert("RGB")
        for variant in variants or list(VARIANTS):
            yield name, variant, VARIANTS[variant](original)


@dataclass
class LabelledFace:
    identity: str
    source: str
    face: FaceFound


def faces_of(image: Image.Image) -> list[FaceFound]:
    from .pipeline import analyze

    return analyze(image).faces_found


def test_set() -> tuple[list[LabelledFace], float, int]:
    """Every face of the test set, with the seconds spent embedding and the faces embedded."""
    from PIL import Image

    labelled: list[LabelledFace] = []
    embed_s, embedded = 0.0, 0
    for name, variant, image in identity_photos():
        found = _timed_faces(image)
        embed_s += found[1]
        embedded += len(found[0])
        # The biggest face is the identity's (a photo may show someone else, small).
        if found[0]:
            face = max(found[0], key=lambda f: f.box[2] * f.box[3])
            labelled.append(LabelledFace(name, f"{name}/{variant}", face))
    for path in STRANGERS:
        found = _timed_faces(Image.open(EVALSET / path).convert("RGB"))
        embed_s += found[1]
        embedded += len(found[0])
        for index, face in enumerate(found[0]):
            labelled.append(LabelledFace(f"{path}#{index}", path, face))
    return labelled, embed_s, embedded


def _timed_faces(image: Image.Image) -> tuple[list[FaceFound], float]:
    from .pipeline import analyze

    analysis = analyze(image)
    return analysis.faces_found, analysis.timings.get("face_embed", 0.0)


def pairwise_scores(identities: list[str], labels: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall: a pair is "together" when both share a label >= 0."""
    tp = fp = fn = 0
    for (id_a, label_a), (id_b, label_b) in itertools.combinations(
        zip(identities, labels, strict=True), 2
    ):
        together = label_a >= 0 and label_a == label_b
        same = id_a == id_b
        tp += together and same
        fp += together and not same
        fn += same and not together
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def distance_margins(identities: list[str], vectors: object) -> tuple[float, float]:
    """The largest same-person and the smallest different-people distance: the margin."""
    import numpy as np

    matrix = np.asarray(vectors)
    same, different = 0.0, float("inf")
    for a, b in itertools.combinations(range(len(identities)), 2):
        distance = float(np.linalg.norm(matrix[a] - matrix[b]))
        if identities[a] == identities[b]:
            same = max(same, distance)
        else:
            different = min(different, distance)
    return same, different


def synthetic_faces(count: int, people: int, seed: int = 0) -> np.ndarray:
    """`count` random 128-d unit vectors around `people` centres (a stand-in library)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    owners = rng.integers(0, people, size=count)
    vectors = centres[owners] + rng.normal(scale=0.02, size=(count, 128)).astype(np.float32)
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def main(argv: list[str] | None = None) -> None:
    import argparse

    import numpy as np

    from .face_groups import cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="synthetic library sizes")
    parser.add_argument("--skip-test-set", action="store_true", help="grouping times only")
    args = parser.parse_args(argv)
    if not args.skip_test_set:
        labelled, embed_s, embedded = test_set()
        print(f"test set: {len(labelled)} faces, {len({f.identity for f in labelled})} people")
        print(f"embedding: {1000 * embed_s / max(embedded, 1):.1f} ms per face ({embedded} faces)")
        vectors = np.asarray([f.face.embedding for f in labelled], dtype=np.float32)
        labels = cluster(vectors)
        precision, recall = pairwise_scores([f.identity for f in labelled], list(labels))
        print(f"grouping on the test set: pairwise precision {precision:.3f}, recall {recall:.3f}")
        same, different = distance_margins([f.identity for f in labelled], vectors)
        print(f"distances: same person up to {same:.3f}, different people from {different:.3f}")
    for count in (int(size) for size in args.sizes.split(",")):
        vectors = synthetic_faces(count, people=max(1, count // 20))
        started = time.perf_counter()
        groups = cluster(vectors)
        took = time.perf_counter() - started
        print(
            f"grouping {count:,} synthetic faces: {took:.1f} s, "
            f"{len(set(groups.tolist()) - {-1})} groups"
        )


if __name__ == "__main__":
    main()
