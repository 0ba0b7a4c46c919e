"""Visible text with RapidOCR (PP-OCRv4 ONNX models inside the rapidocr wheel).

Most photos hold no text, and recognition is what costs. So a cheap detection pass
on a downscaled copy decides first: only when it finds confident, line-shaped boxes
does recognition run, on at most MAX_BOXES of them, cropped from the full working image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..component import Component, package_file

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

MIN_LINE_SCORE = 0.6  # recogniser confidence below this is mostly texture read as letters
MIN_LINE_CHARS = 2  # letters or digits; lone symbols are usually texture
# Long side of the detection pass. On the evaluation set's signs 512 reads the same words
# as 640 (and 960) at ~80% of 640's cost; smaller text is rarely what a photo is about.
DETECT_SIDE = 512
MIN_BOX_SCORE = 0.5  # the detector's mean probability inside a box
SURE_BOX_SCORE = 0.6  # recognition runs only when at least one box is this sure
MIN_BOX_HEIGHT = 6  # pixels at DETECT_SIDE
MIN_BOX_ASPECT = 1.0  # text lines are wider than tall; blobs of texture often are not
MAX_BOXES = 12


@dataclass
class TextFindings:
    text: str = ""
    boxes_found: int = 0  # confident boxes of the detection pass
    recognised: bool = False  # whether recognition ran at all
    detect_s: float = 0.0
    read_s: float = 0.0
    lines: list[str] = field(default_factory=list)


class TextReader(Component):
    name = "ocr"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._ocr: Any = None
        self._pre: Any = None

    def weights_path(self) -> str:
        return package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_det_infer.onnx")

    def _load(self) -> None:
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        self._ocr = RapidOCR(
            det_limit_type="max",
            det_limit_side_len=DETECT_SIDE,
            intra_op_num_threads=self.threads,
            inter_op_num_threads=1,
        )
        det = self._ocr.text_det
        self._pre = DetPreProcess(DETECT_SIDE, "max", det.mean, det.std)

    def find(self, image: Image.Image) -> TextFindings:
        """Detect on a small copy; recognise only confident boxes (see module doc)."""
        import numpy as np

        self.load()
        started = time.perf_counter()
        rgb = image.convert("RGB")
        scale = min(1.0, DETECT_SIDE / max(rgb.size))
        small = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))))
        small_bgr = np.ascontiguousarray(np.asarray(small)[:, :, ::-1])
        with self.lock:
            boxes = self._detect(small_bgr)
        findings = TextFindings(boxes_found=len(boxes), detect_s=time.perf_counter() - started)
        if not boxes:
            return findings
        started = time.perf_counter()
        full_bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
        ratio = np.array([rgb.width / small.width, rgb.height / small.height], dtype=np.float32)
        crops = self._ocr.get_crop_img_list(full_bgr, [b * ratio for b in boxes])
        with self.lock:
            results, _ = self._ocr.text_rec(crops)
        findings.recognised = True
        lines = [
            str(text).strip()
            for text, score in results
            if float(score) >= MIN_LINE_SCORE and _letters(str(text)) >= MIN_LINE_CHARS
        ]
        findings.lines = list(dict.fromkeys(lines))  # a sign repeated is read once
        findings.text = "\n".join(findings.lines)
        findings.read_s = time.perf_counter() - started
        return findings

    def _detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        import numpy as np

        det = self._ocr.text_det
        batch = self._pre(bgr)
        if batch is None:
            return []
        preds = det.infer(batch)[0]
        boxes, scores = det.postprocess_op(preds, bgr.shape[:2])
        found = []
        for box, score in zip(boxes, scores, strict=False):
            box = det.order_points_clockwise(np.asarray(box, dtype=np.float32))
            box = det.clip_det_res(box, bgr.shape[0], bgr.shape[1])
            width = float(np.linalg.norm(box[0] - box[1]))
            height = float(np.linalg.norm(box[0] - box[3]))
            if score < MIN_BOX_SCORE or min(width, height) < MIN_BOX_HEIGHT:
                continue
            if max(width, height) / max(min(width, height), 1.0) < MIN_BOX_ASPECT:
                continue
            found.append((float(score), box))
        if not any(score >= SURE_BOX_SCORE for score, _ in found):
            return []
        found.sort(key=lambda sb: -sb[0] * _area(sb[1]))
        kept = [box for _, box in found[:MAX_BOXES]]
        # Reading order: top to bottom, then left to right.
        kept.sort(key=lambda b: (round(float(b[0][1]) / 10), float(b[0][0])))
        return kept

    def read(self, image: Image.Image) -> str:
        return self.find(image).text

    def sample(self, image: Image.Image) -> None:
        self.read(image)


def _area(box: np.ndarray) -> float:
    import numpy as np

    return float(np.linalg.norm(box[0] - box[1]) * np.linalg.norm(box[0] - box[3]))


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)
