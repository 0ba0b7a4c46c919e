"""dlib's HOG detector as the fallback where BlazeFace and NudeNet confirm no face.

Photos from the evaluation set (ai_engine/evalset): BlazeFace misses the small faces of two
basketball players and a face turned part-way; carved stone faces and a colonnade must stay
faces of nobody.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ai_engine import analyze
from ai_engine.offline.backend import OfflineBackend
from ai_engine.offline.face_check import HOG_SURE_SCORE, confirm, confirm_hog

EVALSET = Path(__file__).resolve().parents[2] / "ai_engine" / "evalset"


@pytest.fixture()
def backend(registry, engine_settings) -> OfflineBackend:
    offline = registry.backend(engine_settings)
    assert isinstance(offline, OfflineBackend)
    return offline


def _open(name: str) -> Image.Image:
    return Image.open(EVALSET / name).convert("RGB")


@pytest.mark.parametrize(
    ("name", "grey"),
    [("holdout/opencv-basketball1.jpg", True), ("holdout/pyfeat-portrait-profile.jpg", False)],
)
def test_a_face_blazeface_misses_is_found_by_the_fallback(ctx, backend, name, grey):
    image = _open(name)
    first = confirm(backend.faces.detect(image), image, backend.nsfw.detect(image).face_boxes, grey)
    assert first == []  # the first two detectors confirm nothing here
    assert confirm_hog(backend.faces.detect_hog(image), image, grey)
    result = analyze(str(EVALSET / name), context=ctx)
    assert result.faces >= 1
    assert {"person", "people"} <= set(result.tag_names)


@pytest.mark.parametrize(
    "name", ["holdout2/gcompris-mount-rushmore.jpg", "tune/gcompris-colosseum.jpg"]
)
def test_stone_is_not_a_face(ctx, backend, name):
    # dlib's HOG detector sees faces in carved granite (0.56) and in arches (0.6).
    image = _open(name)
    assert all(f.score < HOG_SURE_SCORE for f in backend.faces.detect_hog(image))
    result = analyze(str(EVALSET / name), context=ctx)
    assert result.faces == 0
    assert not {"person", "people", "portrait", "face"} & set(result.tag_names)
