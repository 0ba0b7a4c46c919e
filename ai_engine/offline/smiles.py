"""Smiles, from the mouth's shape in mediapipe's face mesh (468 landmarks, inside the wheel).

A smile widens the mouth and lifts its corners above the middle of the lips. Both are
measured against the face itself (the mouth's width against the cheeks', the corners'
lift in mouth widths along the face's own up axis), so a tilted or distant face reads
the same. The bars are strict (right or silent): a neutral face measured 0.35-0.40 wide
with its corners level (lift -0.02 to +0.05); smiles measured 0.44-0.50 wide, lift
+0.10 to +0.17.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..component import Component, package_file
from .faces import Face, quiet_stderr

if TYPE_CHECKING:
    from PIL import Image

SMILE_WIDTH = 0.43  # mouth width / face width
SMILE_LIFT = 0.09  # corners above the lips' middle, in mouth widths
MIN_FACE_PX = 48  # a smaller face's mouth is a few pixels: no shape to read
MAX_FACES = 4  # the largest faces only: the mesh costs ~10 ms a face
CROP_MARGIN = 0.4  # the mesh wants the whole head: the box grown by this on each side

# Face mesh landmark indices (mediapipe's canonical face model).
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
LIP_TOP, LIP_BOTTOM = 0, 17
CHEEK_RIGHT, CHEEK_LEFT = 234, 454
FOREHEAD, CHIN = 10, 152


class SmileDetector(Component):
    name = "smiles"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._mesh: Any = None

    def weights_path(self) -> str:
        return package_file("mediapipe", "modules", "face_landmark", "face_landmark.tflite")

    def _load(self) -> None:
        import numpy as np

        with quiet_stderr():
            from mediapipe.python.solutions import face_mesh

            self._mesh = face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=1, min_detection_confidence=0.5
            )
            self._mesh.process(np.zeros((64, 64, 3), dtype=np.uint8))

    def any_smiles(self, image: Image.Image, faces: list[Face]) -> bool:
        """Whether one of `faces` (checked faces, boxes as fractions) smiles; the largest
        are read first, and reading stops at the first smile."""
        width = image.size[0]
        large = [f for f in faces if f.box[2] * width >= MIN_FACE_PX]
        large.sort(key=lambda f: -f.box[2])
        if not large:
            return False
        self.load()
        rgb = image.convert("RGB")
        return any(self._smiles(_head_crop(rgb, face)) for face in large[:MAX_FACES])

    def _smiles(self, head: Image.Image) -> bool:
        import numpy as np

        with self.lock:
            result = self._mesh.process(np.ascontiguousarray(np.asarray(head)))
        if not result.multi_face_landmarks:
            return False
        w, h = head.size
        points = np.array([(p.x * w, p.y * h) for p in result.multi_face_landmarks[0].landmark])
        return is_smile(points)

    def sample(self, image: Image.Image) -> None:
        self.load()
        self._smiles(image.convert("RGB"))


def is_smile(points: Any) -> bool:
    """Whether mesh landmarks (pixels, N x 2) show a smile."""
    import numpy as np

    face_width = float(np.linalg.norm(points[CHEEK_RIGHT] - points[CHEEK_LEFT]))
    mouth_width = float(np.linalg.norm(points[MOUTH_RIGHT] - points[MOUTH_LEFT]))
    if face_width <= 0 or mouth_width <= 0:
        return False
    up = points[FOREHEAD] - points[CHIN]
    up = up / max(float(np.linalg.norm(up)), 1e-6)
    corners = (points[MOUTH_RIGHT] + points[MOUTH_LEFT]) / 2
    lips = (points[LIP_TOP] + points[LIP_BOTTOM]) / 2
    lift = float(np.dot(corners - lips, up)) / mouth_width
    return mouth_width / face_width >= SMILE_WIDTH and lift >= SMILE_LIFT


def _head_crop(image: Image.Image, face: Face) -> Image.Image:
    width, height = image.size
    x, y, w, h = face.box
    left = max(0.0, x - CROP_MARGIN * w) * width
    top = max(0.0, y - CROP_MARGIN * h) * height
    right = min(1.0, x + w * (1 + CROP_MARGIN)) * width
    bottom = min(1.0, y + h * (1 + CROP_MARGIN)) * height
    return image.crop((int(left), int(top), int(right), int(bottom)))
