"""Visible text with RapidOCR (PP-OCRv4 ONNX models inside the rapidocr wheel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..component import Component, package_file

if TYPE_CHECKING:
    from PIL import Image

MIN_LINE_SCORE = 0.6  # recogniser confidence below this is mostly texture read as letters
MIN_LINE_CHARS = 2  # letters or digits; lone symbols are usually texture


class TextReader(Component):
    name = "ocr"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._ocr: Any = None

    def weights_path(self) -> str:
        return package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_det_infer.onnx")

    def _load(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        # "max" limits the long side to 960: fast on big photos and keeps word spacing.
        self._ocr = RapidOCR(
            det_limit_type="max",
            det_limit_side_len=960,
            intra_op_num_threads=self.threads,
            inter_op_num_threads=1,
        )

    def read(self, image: Image.Image) -> str:
        import numpy as np

        self.load()
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        with self.lock:
            result, _ = self._ocr(bgr)
        lines = [
            str(text).strip()
            for _box, text, score in result or []
            if float(score) >= MIN_LINE_SCORE and _letters(str(text)) >= MIN_LINE_CHARS
        ]
        return "\n".join(lines)

    def sample(self, image: Image.Image) -> None:
        self.read(image)


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)
