"""The offline backend: classifier, faces, OCR and NSFW models, composed into one Analysis."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ..describe import Facts, compose
from ..types import ScoredTag
from .classifier import Classifier
from .faces import Face, FaceDetector
from .nsfw import NsfwDetector
from .ocr import TextReader

if TYPE_CHECKING:
    from PIL import Image

    from ..component import Component
    from ..settings import EngineSettings
    from ..types import Analysis
    from .rules import ClassifierTag

logger = logging.getLogger("ai_engine")

MIN_MODEL_SIDE = 32  # below this no model sees anything; colours are all we can say
PORTRAIT_FACE_HEIGHT = 0.15  # a face this tall (share of the image height) makes a portrait
MAX_SUBJECTS = 2


class OfflineBackend:
    name = "offline"

    def __init__(self, threads: int) -> None:
        self.classifier = Classifier(threads)
        self.faces = FaceDetector(threads)
        self.ocr = TextReader(threads)
        self.nsfw = NsfwDetector(threads)

    def components(self) -> list[Component]:
        return [self.classifier, self.faces, self.ocr, self.nsfw]

    def load(self) -> None:
        for component in self.components():
            component.load()

    def analyze_image(
        self,
        image: Image.Image,
        settings: EngineSettings,
        analysis: Analysis,
        facts: Facts,
        timings: dict[str, float],
    ) -> None:
        _warn_language_once(settings.language)
        if min(image.size) < MIN_MODEL_SIDE:
            facts.tiny = True
            analysis.description = compose(facts)
            return

        started = time.perf_counter()
        classified = self.classifier.tags(image)
        timings["classifier"] = _since(started)

        started = time.perf_counter()
        faces = self.faces.detect(image)
        timings["faces"] = _since(started)

        started = time.perf_counter()
        nudity = self.nsfw.detect(image)
        timings["nsfw"] = _since(started)

        started = time.perf_counter()
        text = self.ocr.read(image)
        timings["ocr"] = _since(started)

        analysis.tags.extend(ScoredTag(t.name, round(t.score, 4), "classifier") for t in classified)
        face_count = len(faces) or nudity.faces
        analysis.faces = face_count
        analysis.face_boxes = [f.box for f in faces]
        analysis.tags.extend(_face_tags(faces, face_count))
        analysis.text = text
        if text:
            analysis.tags.append(ScoredTag("text", 0.9, "ocr"))
        analysis.flags["nsfw"] = nudity.nsfw

        facts.faces = face_count
        facts.portrait = _is_portrait(faces)
        facts.text = text
        facts.subjects = [] if nudity.nsfw else _subjects(classified, self._threshold())
        analysis.description = compose(facts)

    def _threshold(self) -> float:
        rules = self.classifier.rules
        return rules.subject_threshold if rules else 0.4

    def describe_video(self, facts: Facts, frame_descriptions: list[str]) -> str:
        return compose(facts)

    def subjects(self, image_tags: list[ClassifierTag]) -> list[str]:
        return _subjects(image_tags, self._threshold())


_warned_languages: set[str] = set()


def _warn_language_once(language: str) -> None:
    # The offline backend composes English from its own words; say so once, not per photo.
    if not language.lower().startswith("en") and language not in _warned_languages:
        _warned_languages.add(language)
        logger.warning("The offline backend writes English only (language %r ignored)", language)


def _since(started: float) -> float:
    return time.perf_counter() - started


def _is_portrait(faces: list[Face]) -> bool:
    return len(faces) == 1 and faces[0].box[3] >= PORTRAIT_FACE_HEIGHT


def _face_tags(faces: list[Face], count: int) -> list[ScoredTag]:
    if not count:
        return []
    score = round(max((f.score for f in faces), default=0.6), 4)
    tags = [ScoredTag("person", score, "faces")]
    if _is_portrait(faces):
        tags.append(ScoredTag("portrait", score, "faces"))
    if count >= 2:
        tags.append(ScoredTag("people", score, "faces"))
    if count >= 3:
        tags.append(ScoredTag("group", score, "faces"))
    return tags


def _subjects(tags: list[ClassifierTag], threshold: float) -> list[str]:
    """The most specific confident tags, without naming one thing twice (cat + animal)."""
    # "person" is left to the face detector, which counts people.
    confident = [t for t in tags if t.score >= threshold and t.name != "person"]
    specific = [t for t in confident if not any(t.name in o.ancestors for o in confident)]
    specific.sort(key=lambda t: -t.score)
    return [t.phrase for t in specific[:MAX_SUBJECTS]]
