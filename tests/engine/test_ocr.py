"""OCR runs where text is likely: a cheap detection pass decides, recognition follows."""

from __future__ import annotations

from pathlib import Path

from ai_engine import EngineSettings, analyze
from ai_engine.offline.ocr import MAX_BOXES

TUNE = Path(__file__).resolve().parents[2] / "ai_engine" / "evalset" / "tune"


def test_a_photo_without_text_is_never_read(ctx):
    result = analyze(str(TUNE / "gcompris-horse.jpg"), context=ctx)
    assert result.flags["text_read"] is False
    assert "ocr_read" not in result.timings  # only the detection pass ran
    assert "ocr" in result.timings
    assert result.text == ""
    assert "text" not in result.tag_names


def test_a_sign_is_read(ctx):
    result = analyze(str(TUNE / "opencv-scenetext01.jpg"), context=ctx)
    assert result.flags["text_read"] is True
    assert result.timings["ocr_read"] > 0
    assert "PARKING" in result.text.split()
    assert {"text", "sign"} <= set(result.tag_names)
    assert "reading 'NOTICE DOUBLE PARKING PROHIBITED" in result.description


def test_recognition_reads_few_boxes(registry):
    from PIL import Image, ImageDraw, ImageFont

    # Forty short words: recognition is capped, the cost stays bounded.
    image = Image.new("RGB", (1000, 1000), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(28)
    for i in range(40):
        draw.text((40 + (i % 4) * 240, 30 + (i // 4) * 95), f"word{i}", fill="black", font=font)
    backend = registry.backend(EngineSettings(backend="offline"))
    found = backend.ocr.find(image)
    assert found.recognised
    assert 0 < len(found.lines) <= MAX_BOXES
