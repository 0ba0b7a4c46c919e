"""Face detection with mediapipe's full-range BlazeFace model (inside the mediapipe wheel)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..component import Component, package_file

if TYPE_CHECKING:
    from PIL import Image

MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x, y, width, height as fractions of the image
    score: float


class FaceDetector(Component):
    name = "faces"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._detector: Any = None

    def weights_path(self) -> str:
        return package_file(
            "mediapipe", "modules", "face_detection", "face_detection_full_range_sparse.tflite"
        )

    def _load(self) -> None:
        # glog/absl chatter from the C++ side ("Created TensorFlow Lite XNNPACK delegate").
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from mediapipe.python.solutions import face_detection

        # model_selection=1 is the full-range model: faces up to ~5 m away, as in photos
        # (0 is tuned for selfies at arm's length).
        self._detector = face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=MIN_CONFIDENCE
        )

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
            faces.append(Face(box=tuple(round(v, 4) for v in box), score=float(det.score[0])))
        return faces

    def sample(self, image: Image.Image) -> None:
        self.detect(image)
