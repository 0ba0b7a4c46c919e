"""The tag vocabulary of the transformers backend: concepts, each with its own threshold.

The Django app keeps the vocabulary in the database (staff edit it at
/ai-settings/vocabulary/) and hands it in through EngineSettings.vocabulary; the engine
alone reads default.yaml, the same list the database starts from. A Vocabulary's
`version` is a hash of its content: the backend embeds the concepts' texts once per
version, so an edit reaches the next item without restarting a worker.

Tagging is plain Python here (no torch): the backend computes one score per concept,
and `vocabulary_tags` decides which become tags, with the offline engine's rule, "right
or silent": a concept that needs a face or read text is only said with that evidence.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "default.yaml")
NEEDS = ("", "face", "text")  # evidence a concept may need: none, a confirmed face, read text
# A tag's stored score: its threshold maps to 0.5 and a perfect 1.0 stays 1.0, so scores
# mean the same for every concept ("just sure enough" is 0.5) whatever its threshold.
AT_THRESHOLD = 0.5
# A caption word whose concept (or a narrower one) scored under this share of the
# concept's threshold is one the image-text model disagrees with: the caption check cuts it.
DOUBT_SHARE = 0.1


@dataclass(frozen=True)
class Concept:
    name: str
    threshold: float
    synonyms: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()  # broader tags it implies ("golden retriever" -> "dog")
    needs: str = ""  # "", "face" or "text": see NEEDS
    category: str = ""

    def texts(self) -> tuple[str, ...]:
        """What the image-text model reads for this concept: its name and synonyms."""
        return tuple(dict.fromkeys(t.strip().lower() for t in (self.name, *self.synonyms) if t))


@dataclass(frozen=True)
class Vocabulary:
    concepts: tuple[Concept, ...]
    _by_name: dict[str, Concept] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.concepts})

    @functools.cached_property
    def version(self) -> str:
        """A hash of everything that changes tagging: equal content, equal version."""
        rows = [
            [c.name, c.threshold, list(c.synonyms), list(c.parents), c.needs]
            for c in sorted(self.concepts, key=lambda c: c.name)
        ]
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]

    def get(self, name: str) -> Concept | None:
        return self._by_name.get(name)

    def texts(self) -> list[str]:
        """Every text to embed, once each, in a stable order."""
        return list(dict.fromkeys(t for c in self.concepts for t in c.texts()))

    def words_needing(self, needs: str) -> frozenset[str]:
        """One-word texts of the concepts that need this evidence ("bride", "chef")."""
        return frozenset(
            t for c in self.concepts if c.needs == needs for t in c.texts() if " " not in t
        )

    def __len__(self) -> int:
        return len(self.concepts)


@dataclass(frozen=True)
class Seen:
    """What the offline facts say is in the photo, for concepts that need evidence."""

    faces: int = 0
    text: bool = False

    def allows(self, concept: Concept) -> bool:
        if concept.needs == "face":
            return self.faces > 0
        if concept.needs == "text":
            return self.text
        return True


def calibrated(score: float, threshold: float) -> float:
    """The stored score of a tag that passed its threshold (see AT_THRESHOLD)."""
    if threshold >= 1.0:
        return 1.0
    above = max(0.0, score - threshold) / (1.0 - threshold)
    return round(AT_THRESHOLD + (1.0 - AT_THRESHOLD) * min(1.0, above), 4)


def vocabulary_tags(
    scores: Mapping[str, float],
    vocabulary: Vocabulary,
    seen: Seen,
    *,
    floor: float | None = None,
) -> list[tuple[str, float]]:
    """(tag, stored score) for every concept at or over its threshold, with the broader
    tags it implies, best first; concepts without the evidence they need are left out.

    `floor`: one threshold for all concepts instead of their own (for image-text models
    whose scores are not independent per concept, e.g. CLIP's softmax).
    """
    found: dict[str, float] = {}
    for name, score in scores.items():
        concept = vocabulary.get(name)
        if concept is None or not seen.allows(concept):
            continue
        threshold = concept.threshold if floor is None else floor
        if score < threshold:
            continue
        stored = calibrated(score, threshold)
        for tag in (name, *_ancestors(concept, vocabulary)):
            parent = vocabulary.get(tag)
            if parent is not None and not seen.allows(parent):
                continue
            found[tag] = max(found.get(tag, 0.0), stored)
    return sorted(found.items(), key=lambda kv: -kv[1])


def doubted_words(scores: Mapping[str, float], vocabulary: Vocabulary) -> frozenset[str]:
    """Texts of concepts the model scored far under their threshold, a concept counting
    as seen when a narrower one under it was ("tabby cat" backs "cat")."""
    support = dict(scores)
    for name, score in scores.items():
        concept = vocabulary.get(name)
        for parent in _ancestors(concept, vocabulary) if concept else ():
            support[parent] = max(support.get(parent, 0.0), score)
    doubted: set[str] = set()
    for concept in vocabulary.concepts:
        found = support.get(concept.name)
        if found is not None and found < DOUBT_SHARE * concept.threshold:
            doubted.update(concept.texts())
    return frozenset(doubted)


def _ancestors(concept: Concept, vocabulary: Vocabulary) -> list[str]:
    """Every broader tag, nearest first, each once (parents of parents included)."""
    seen: list[str] = []
    queue = list(concept.parents)
    while queue:
        name = queue.pop(0)
        if name == concept.name or name in seen:
            continue
        seen.append(name)
        parent = vocabulary.get(name)
        if parent is not None:
            queue.extend(parent.parents)
    return seen


# --- the default list (default.yaml) ---------------------------------------------------


@functools.cache
def default_vocabulary() -> Vocabulary:
    return Vocabulary(tuple(load_concepts(DEFAULT_PATH)))


def load_concepts(path: str = DEFAULT_PATH) -> list[Concept]:
    """The concepts of a vocabulary file (format: default.yaml's header)."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    concepts: dict[str, Concept] = {}
    for group in data["groups"]:
        for entry in group["concepts"]:
            concept = parse_entry(str(entry), group)
            concepts.setdefault(concept.name, concept)
    return list(concepts.values())


def parse_entry(entry: str, group: Mapping[str, Any]) -> Concept:
    """ "golden retriever > dog = golden" in a group -> Concept (see default.yaml)."""
    head, _, synonyms = entry.partition("=")
    name, _, parents = head.partition(">")
    name = name.strip().lower()
    own_parents = _split(parents)
    group_parents = [p for p in group.get("parents") or () if p != name]
    return Concept(
        name=name,
        threshold=float(group["threshold"]),
        synonyms=tuple(s for s in _split(synonyms) if s != name),
        parents=tuple(dict.fromkeys([*own_parents, *group_parents])),
        needs=str(group.get("needs") or ""),
        category=str(group["category"]),
    )


def _split(text: str) -> list[str]:
    return [part.strip().lower() for part in text.split(",") if part.strip()]
