"""Nudity detection with NudeNet's ONNX detector (inside the nudenet wheel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..component import Component, package_file

if TYPE_CHECKING:
    from PIL import Image

EXPOSED = frozenset(
    {
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
NSFW_SCORE = 0.5
FACE_SCORE = 0.5


@dataclass
class NudityFindings:
    nsfw: bool = False
    labels: dict[str, float] = field(default_factory=dict)
    faces: int = 0  # NudeNet also finds faces: a fallback when the face detector finds none
    # (x, y, width, height) as fractions of the image, with the score, of each FACE_* box
    face_boxes: list[tuple[tuple[float, float, float, float], float]] = field(default_factory=list)


class NsfwDetector(Component):
    name = "nsfw"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._detector: Any = None

    def weights_path(self) -> str:
        return package_file("nudenet", "320n.onnx")

    def _load(self) -> None:
        import onnxruntime
        from nudenet import NudeDetector

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Idle workers would otherwise spin and take CPU from torch between images.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            self.weights_path(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        # NudeDetector() opens its own session with all cores and no options; set up the
        # same attributes its __init__ sets, around our session.
        detector = NudeDetector.__new__(NudeDetector)
        detector.onnx_session = session
        detector.input_width = detector.input_height = 320
        detector.input_name = session.get_inputs()[0].name
        self._detector = detector

    def detect(self, image: Image.Image) -> NudityFindings:
        import numpy as np

        self.load()
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        with self.lock:
            detections = self._detector.detect(bgr)
        findings = NudityFindings()
        for det in detections:
            label, score = str(det["class"]), float(det["score"])
            findings.labels[label] = max(score, findings.labels.get(label, 0.0))
            if label in EXPOSED and score >= NSFW_SCORE:
                findings.nsfw = True
            if label.startswith("FACE_"):
                x, y, w, h = (float(v) for v in det["box"])
                box = (x / image.width, y / image.height, w / image.width, h / image.height)
                findings.face_boxes.append((box, score))
                if score >= FACE_SCORE:
                    findings.faces += 1
        return findings

    def sample(self, image: Image.Image) -> None:
        self.detect(image)
