"""The offline backend: classifier, faces, OCR and NSFW models, composed into one Analysis."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..describe import Facts, Thing, compose
from ..language import catalogue, normalise
from ..scenes import analyse_scene, without_repeats
from ..types import ScoredTag
from .classifier import Classifier
from .face_check import confirm, confirm_hog
from .face_embed import FaceEmbedder
from .faces import Face, FaceDetector
from .nsfw import NsfwDetector
from .ocr import TextReader
from .rules import ClassifierTag
from .smiles import SmileDetector

if TYPE_CHECKING:
    from PIL import Image

    from ..component import Component
    from ..settings import EngineSettings
    from ..types import Analysis

MIN_MODEL_SIDE = 32  # below this no model sees anything; colours are all we can say
PORTRAIT_FACE_HEIGHT = 0.15  # a face this tall (share of the image height) makes a portrait
# A face this tall fills the frame, head and shoulders at most: a close-up of the person.
CLOSE_UP_FACE_HEIGHT = 0.45
MAX_SUBJECTS = 2
PEOPLE_ANIMAL_SCORE = 0.6  # an animal tag in a photo of people needs this much
# Classifier tags that say where rather than what: the sentence's scene words.
SCENE_SUBJECTS = {"landscape": "", "mountain": "mountain", "beach": "beach", "lake": "water"}
# Group tags that read badly as a subject ("a photo of music").
SUBJECT_NOUNS = {"music": "instrument"}
# Birds kept by people: a bird with one of these tags is not "wildlife".
TAME_BIRDS = frozenset({"chicken", "parrot", "farm animal", "pet"})
# Tags that describe rather than name a thing: never the sentence's subject.
NOT_SUBJECTS = frozenset(
    {"architecture", "historic", "landmark", "city", "mammal", "wildlife", "farm animal", "sport"}
)


class OfflineBackend:
    name = "offline"

    def __init__(self, threads: int) -> None:
        self.classifier = Classifier(threads)
        self.faces = FaceDetector(threads)
        self.ocr = TextReader(threads)
        self.nsfw = NsfwDetector(threads)
        self.face_embed = FaceEmbedder(threads)
        self.smiles = SmileDetector(threads)

    def components(self) -> list[Component]:
        return [self.classifier, self.faces, self.ocr, self.nsfw, self.face_embed, self.smiles]

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
        facts.language = normalise(settings.language)
        if min(image.size) < MIN_MODEL_SIDE:
            facts.tiny = True
            analysis.description = compose(facts)
            return

        started = time.perf_counter()
        probs = self.classifier.probabilities(image)
        rules = self.classifier.rules
        assert rules is not None
        classified = _wild_birds(rules.apply(probs))
        timings["classifier"] = _since(started)

        started = time.perf_counter()
        detected = self.faces.detect(image)
        timings["faces"] = _since(started)

        started = time.perf_counter()
        nudity = self.nsfw.detect(image)
        timings["nsfw"] = _since(started)

        faces = confirm(detected, image, nudity.face_boxes, facts.black_and_white)
        if not faces:
            started = time.perf_counter()
            faces = confirm_hog(self.faces.detect_hog(image), image, facts.black_and_white)
            timings["faces_hog"] = _since(started)

        started = time.perf_counter()
        if faces:
            classified = _without_people_bias(classified)
        scene = analyse_scene(
            image,
            probs,
            rules.index,
            facts.taken_at,
            light_ev=facts.light_ev,
            flash=facts.flash,
            subjects=frozenset(t.name for t in classified),
            food_p=rules.score("food", probs),
            portrait=_is_portrait(faces),
            people=len(faces),
        )
        timings["scene"] = _since(started)

        found_text = self.ocr.find(image)
        # "ocr": the cheap detection pass every photo gets; "ocr_read": recognition, only
        # on photos where the detection pass found confident text boxes.
        timings["ocr"] = found_text.detect_s
        if found_text.recognised:
            timings["ocr_read"] = found_text.read_s
        text = found_text.text
        analysis.flags["text_read"] = found_text.recognised

        words = catalogue(facts.language)
        if facts.language != "en":
            # ImageNet's own class names ("German Shepherd Dog") exist in English only.
            classified = [t for t in classified if t.name in words.tags or t.name in words.nouns]
        analysis.tags.extend(ScoredTag(t.name, round(t.score, 4), "classifier") for t in classified)
        analysis.tags.extend(ScoredTag(k, v, "scene") for k, v in scene.tags.items())
        people = len(faces)
        analysis.faces = people
        analysis.face_boxes = [f.box for f in faces]
        started = time.perf_counter()
        analysis.faces_found = self.face_embed.embed(image, faces)
        timings["face_embed"] = _since(started)
        analysis.tags.extend(_face_tags(faces, people))
        if faces:
            started = time.perf_counter()
            if self.smiles.any_smiles(image, faces):
                analysis.tags.append(ScoredTag("smile", 0.5, "faces"))
            timings["smiles"] = _since(started)
        analysis.text = text
        if text:
            analysis.tags.append(ScoredTag("text", 0.9, "ocr"))
            if not scene.document and not faces:
                # Words read in a photo (not a scan of a page, not a T-shirt's print)
                # are nearly always a sign.
                analysis.tags.append(ScoredTag("sign", 0.5, "scene"))
        analysis.flags["nsfw"] = nudity.nsfw

        facts.faces = people
        facts.portrait = _is_portrait(faces)
        facts.text = text
        facts.close_up = scene.close_up
        sayable = [t for t in classified if SUBJECT_NOUNS.get(t.name, t.name) in words.nouns]
        things, scene_words = ([], []) if nudity.nsfw else _subjects(sayable, self._threshold())
        facts.things = things
        # The classifier's scene ("beach") and the pixels' ("sand") may say one thing twice.
        facts.scenes = without_repeats(list(dict.fromkeys(scene_words + scene.phrases)))
        analysis.description = compose(facts)

    def _threshold(self) -> float:
        rules = self.classifier.rules
        return rules.subject_threshold if rules else 0.4

    def describe_video(self, facts: Facts, frame_descriptions: list[str]) -> str:
        return compose(facts)


def _since(started: float) -> float:
    return time.perf_counter() - started


def _without_people_bias(tags: list[ClassifierTag]) -> list[ClassifierTag]:
    """ImageNet learnt fish ("tench") and other animals from photos of people holding them:
    with a person in the picture, animals are named only when one specific animal is sure."""
    sure = [t for t in tags if "animal" in t.ancestors and t.score >= PEOPLE_ANIMAL_SCORE]
    keep = {t.name for t in sure} | {a for t in sure for a in t.ancestors}
    return [t for t in tags if not _is_animal(t) or t.name in keep]


def _wild_birds(tags: list[ClassifierTag]) -> list[ClassifierTag]:
    """A bird that is neither a chicken nor a parrot is a wild bird (the heron, the
    kingfisher, the kookaburra ImageNet knows only as "bird"): "wildlife" too."""
    names = {t.name for t in tags}
    bird = next((t for t in tags if t.name == "bird"), None)
    if bird is None or "wildlife" in names or names & TAME_BIRDS:
        return tags
    wild = ClassifierTag("wildlife", bird.score, 1, "wildlife", frozenset({"animal"}))
    return sorted([*tags, wild], key=lambda t: -t.score)


def _is_animal(tag: ClassifierTag) -> bool:
    return tag.name == "animal" or "animal" in tag.ancestors


def _is_portrait(faces: list[Face]) -> bool:
    return len(faces) == 1 and faces[0].box[3] >= PORTRAIT_FACE_HEIGHT


def _face_tags(faces: list[Face], count: int) -> list[ScoredTag]:
    if not count:
        return []
    score = round(max((f.score for f in faces), default=0.6), 4)
    # "people" is how albums file a photo of anyone; it is the word searched for.
    tags = [
        ScoredTag("person", score, "faces"),
        ScoredTag("people", round(score * 0.97, 4), "faces"),
    ]
    if _is_portrait(faces):
        tags.append(ScoredTag("portrait", score, "faces"))
        tags.append(ScoredTag("face", round(score * 0.9, 4), "faces"))
        if faces[0].box[3] >= CLOSE_UP_FACE_HEIGHT:
            tags.append(ScoredTag("close-up", round(score * 0.85, 4), "faces"))
    if count >= 3:
        tags.append(ScoredTag("group", score, "faces"))
        tags.append(ScoredTag("group of people", round(score * 0.95, 4), "faces"))
        tags.append(ScoredTag("group photo", round(score * 0.9, 4), "faces"))
    return tags


def _subjects(tags: list[ClassifierTag], threshold: float) -> tuple[list[Thing], list[str]]:
    """The most specific confident tags, without naming one thing twice (cat + animal).

    Tags that name a place rather than a thing ("mountain", "beach") become scene words.
    """
    # "person" is left to the face detector, which counts people.
    confident = [
        t
        for t in tags
        if t.score >= threshold and t.name != "person" and t.name not in NOT_SUBJECTS
    ]
    specific = [t for t in confident if not any(t.name in o.ancestors for o in confident)]
    specific.sort(key=lambda t: -t.score)
    things: list[Thing] = []
    scenes: list[str] = []
    for tag in specific:
        if tag.name in SCENE_SUBJECTS:
            scenes.append(SCENE_SUBJECTS[tag.name])
        elif len(things) < MAX_SUBJECTS:
            things.append(Thing(SUBJECT_NOUNS.get(tag.name, tag.name)))
    return things, [s for s in scenes if s]
