"""A 128-number fingerprint of each face, so that photos of one person can be grouped.

dlib's 5-point landmark model (eye corners and nose) aligns the face the detector
found, then dlib's ResNet turns the aligned 150x150 chip into a 128-d vector; two
photos of one person are usually within 0.6 of each other (Euclidean). Both weight
files ship in the `face-recognition-models` package; see ai_engine/MODELS.md for
their licences. The package's own __init__ needs pkg_resources, so it is never
imported: the files are found by path.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ..component import Component, package_file
from ..types import FaceFound

if TYPE_CHECKING:
    from PIL import Image

    from .faces import Face

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
EMBEDDING_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CROP_SIDE = 128  # the face thumbnail's side, in pixels
CROP_MARGIN = 0.25  # share of the box added on each side of the thumbnail
MIN_FACE_SIDE = 20  # pixels: below this the embedding is noise


def model_file(name: str) -> str:
    return package_file("face_recognition_models", "models", name)


class FaceEmbedder(Component):
    name = "face_embed"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._landmarks: Any = None
        self._net: Any = None

    def weights_path(self) -> str:
        return model_file(EMBEDDING_FILE)

    def is_present(self) -> bool:
        import os

        return all(os.path.exists(model_file(f)) for f in (LANDMARKS_FILE, EMBEDDING_FILE))

    def _load(self) -> None:
        import dlib

        self._landmarks = dlib.shape_predictor(model_file(LANDMARKS_FILE))
        self._net = dlib.face_recognition_model_v1(model_file(EMBEDDING_FILE))

    def embed(self, image: Image.Image, faces: list[Face]) -> list[FaceFound]:
        """One FaceFound per face big enough to fingerprint, in the detector's order."""
        if not faces:
            return []
        import numpy as np

        self.load()
        rgb = np.asarray(image.convert("RGB"))
        found = []
        with self.lock:
            for face in faces:
                vector = self._embed_one(rgb, face)
                if vector is not None:
                    found.append(
                        FaceFound(
                            box=face.box,
                            score=round(face.score, 4),
                            embedding=vector,
                            crop=crop_jpeg(image, face.box),
                        )
                    )
        return found

    def _embed_one(self, rgb: Any, face: Face) -> list[float] | None:
        import dlib

        h, w = rgb.shape[:2]
        x, y, bw, bh = face.box
        left, top = int(x * w), int(y * h)
        right, bottom = int((x + bw) * w), int((y + bh) * h)
        if min(right - left, bottom - top) < MIN_FACE_SIDE:
            return None
        shape = self._landmarks(rgb, dlib.rectangle(left, top, right, bottom))
        descriptor = self._net.compute_face_descriptor(rgb, shape)
        return [round(float(v), 6) for v in descriptor]

    def sample(self, image: Image.Image) -> None:
        from .faces import Face

        self.embed(image, [Face(box=(0.25, 0.25, 0.5, 0.5), score=1.0)])


def crop_jpeg(image: Image.Image, box: tuple[float, float, float, float]) -> bytes:
    """A square thumbnail around the face, as JPEG bytes (the album stores it as a file)."""
    w, h = image.size
    cx, cy = (box[0] + box[2] / 2) * w, (box[1] + box[3] / 2) * h
    half = max(box[2] * w, box[3] * h) * (0.5 + CROP_MARGIN)
    area = (
        max(0, int(cx - half)),
        max(0, int(cy - half)),
        min(w, int(cx + half)),
        min(h, int(cy + half)),
    )
    crop = image.convert("RGB").crop(area).resize((CROP_SIDE, CROP_SIDE))
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85)
    return out.getvalue()
