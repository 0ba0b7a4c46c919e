"""Face detection with mediapipe's full-range BlazeFace model (inside the mediapipe wheel),
and dlib's HOG frontal-face detector (no weights file) as a second opinion where BlazeFace
finds nothing: BlazeFace misses small faces in a crowd and faces turned part-way."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..component import Component, package_file

if TYPE_CHECKING:
    from PIL import Image

MIN_CONFIDENCE = 0.5
HOG_SIDE = 640  # dlib's HOG detector runs on a copy this size (upsampled once: faces >= ~40 px)
HOG_MIN_SCORE = 0.3  # candidates below this are not even returned (face_check decides)


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x, y, width, height as fractions of the image
    score: float
    # right eye, left eye, nose tip, mouth, right ear, left ear (fractions of the image)
    keypoints: tuple[tuple[float, float], ...] = ()


class FaceDetector(Component):
    name = "faces"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._detector: Any = None
        self._hog: Any = None

    def weights_path(self) -> str:
        return package_file(
            "mediapipe", "modules", "face_detection", "face_detection_full_range_sparse.tflite"
        )

    def _load(self) -> None:
        import numpy as np

        os.environ.setdefault("GLOG_minloglevel", "2")
        # mediapipe's C++ side writes absl/TFLite notices straight to file descriptor 2
        # when the graph is built and first run ("Created TensorFlow Lite XNNPACK
        # delegate", "Feedback manager requires..."); env settings don't reach them.
        # Build and warm it up with stderr silenced, once per process.
        with quiet_stderr():
            from mediapipe.python.solutions import face_detection

            # model_selection=1 is the full-range model: faces up to ~5 m away, as in
            # photos (0 is tuned for selfies at arm's length).
            self._detector = face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=MIN_CONFIDENCE
            )
            self._detector.process(np.zeros((64, 64, 3), dtype=np.uint8))
        import dlib

        self._hog = dlib.get_frontal_face_detector()

    def detect(self, image: Image.Image) -> list[Face]:
        import numpy as np

        self.load()
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        with self.lock:
            result = self._detector.process(pixels)
        faces = []
        for det in result.detections or []:
            rel = det.location_data.relative_bounding_box
            x, y = max(0.0, rel.xmin), max(0.0, rel.ymin)
            box = (x, y, min(rel.width, 1.0 - x), min(rel.height, 1.0 - y))
            points = tuple((float(k.x), float(k.y)) for k in det.location_data.relative_keypoints)
            faces.append(
                Face(
                    box=tuple(round(v, 4) for v in box),
                    score=float(det.score[0]),
                    keypoints=points,
                )
            )
        return faces

    def detect_hog(self, image: Image.Image) -> list[Face]:
        """dlib's HOG detector on a downscaled copy; the score is its SVM margin (no keypoints)."""
        import numpy as np

        self.load()
        small = image.convert("RGB")
        small.thumbnail((HOG_SIDE, HOG_SIDE))
        pixels = np.ascontiguousarray(np.asarray(small))
        height, width = pixels.shape[:2]
        with self.lock:
            rects, scores, _ = self._hog.run(pixels, 1, HOG_MIN_SCORE)
        faces = []
        for rect, score in zip(rects, scores, strict=True):
            x0, y0 = max(0, rect.left()), max(0, rect.top())
            x1, y1 = min(width, rect.right()), min(height, rect.bottom())
            if x1 <= x0 or y1 <= y0:
                continue
            box = (x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height)
            faces.append(Face(box=tuple(round(v, 4) for v in box), score=float(score)))
        return faces

    def sample(self, image: Image.Image) -> None:
        self.detect(image)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, no real descriptor
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
