"""Loads rules.yaml and turns 1000 ImageNet probabilities into photo tags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

RULES_PATH = os.path.join(os.path.dirname(__file__), "rules.yaml")
# With `group_sure`, the group's strongest class still needs this much.
GROUP_MIN_TOP = 0.15


@dataclass(frozen=True)
class TagRule:
    name: str
    parents: tuple[str, ...]
    threshold: float
    min_top: float
    hidden: bool
    name_classes: bool  # whether a sure class of this tag is also tagged by its own name
    phrase: str
    depth: int  # 0 for a root tag; used to prefer the most specific subject
    share: float  # the tag's least share of its parent's score (0: any)
    group_sure: float  # a summed score this high is enough with a weaker top class (0: never)
    species_threshold: float  # the least score of a species tag (default: the table's)


@dataclass(frozen=True)
class ClassifierTag:
    name: str
    score: float
    depth: int
    phrase: str
    ancestors: frozenset[str]


class RulesError(ValueError):
    pass


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


class Rules:
    def __init__(self, data: dict[str, Any], class_names: list[str]) -> None:
        import numpy as np

        self.class_names = class_names
        self.default_threshold = float(data.get("default_threshold", 0.3))
        self.default_min_top = float(data.get("default_min_top", 0.0))
        self.unlisted_threshold = float(data.get("unlisted_threshold", 0.6))
        self.subject_threshold = float(data.get("subject_threshold", 0.4))
        self.species_threshold = float(data.get("species_threshold", 0.0))
        self.species_share = float(data.get("species_share", 0.0))
        self.species_named = float(data.get("species_named", self.unlisted_threshold))
        index = _name_index(class_names)
        self.index = index
        raw_tags: dict[str, dict[str, Any]] = {
            str(k): (v or {}) for k, v in (data.get("tags") or {}).items()
        }
        self.tags = self._build_tags(raw_tags)
        self.ancestors = {name: self._ancestors(name) for name in self.tags}

        self.order = list(self.tags)
        membership = np.zeros((len(self.order), len(class_names)), dtype=np.float32)
        claimed = np.zeros(len(class_names), dtype=bool)
        self.row = {name: i for i, name in enumerate(self.order)}
        for name, spec in raw_tags.items():
            for ref in spec.get("classes") or []:
                for cls in _resolve(str(ref), index, len(class_names), name):
                    claimed[cls] = True
                    # A class counts once for its tag and once for every ancestor.
                    for tag in self.ancestors[name] | {name}:
                        membership[self.row[tag], cls] = 1.0
        self.membership = membership
        self.claimed = claimed
        self.dropped = np.zeros(len(class_names), dtype=bool)
        for ref in data.get("drop") or []:
            for cls in _resolve(str(ref), index, len(class_names), "drop"):
                self.dropped[cls] = True

    def _build_tags(self, raw: dict[str, dict[str, Any]]) -> dict[str, TagRule]:
        for name, spec in raw.items():
            for parent in spec.get("parents") or []:
                if parent not in raw:
                    raise RulesError(f"Tag {name!r} names unknown parent {parent!r}")
        depths: dict[str, int] = {}

        def depth(name: str, seen: tuple[str, ...] = ()) -> int:
            if name in seen:
                raise RulesError(f"Tag hierarchy has a cycle through {name!r}")
            if name not in depths:
                parents = raw[name].get("parents") or []
                depths[name] = 1 + max((depth(p, (*seen, name)) for p in parents), default=-1)
            return depths[name]

        return {
            name: TagRule(
                name=name,
                parents=tuple(spec.get("parents") or ()),
                threshold=float(spec.get("threshold", self.default_threshold)),
                min_top=float(spec.get("min_top", self.default_min_top)),
                hidden=bool(spec.get("hidden", False)),
                name_classes=bool(spec.get("name_classes", True)),
                phrase=str(spec.get("phrase") or _article(name)),
                depth=depth(name),
                share=float(spec.get("share", 0.0)),
                group_sure=float(spec.get("group_sure", 0.0)),
                species_threshold=float(spec.get("species_threshold", self.species_threshold)),
            )
            for name, spec in raw.items()
        }

    def _is_species(self, name: str) -> bool:
        """An animal tag below a broad group: "goose", "cattle", not "bird" or "animal"."""
        return "animal" in self.ancestors[name] and self.tags[name].depth >= 2

    def _dominant(self, name: str, score: float, scores: np.ndarray, share: float) -> bool:
        """Whether a tag holds this share of its parent's score, so that a near miss
        between siblings (a child's bicycle read as a moped) falls back to the parent."""
        group = max((float(scores[self.row[p]]) for p in self.tags[name].parents), default=score)
        return score >= share * group

    def _convincing(self, rule: TagRule, score: float, strongest: float) -> bool:
        """One convincing class, or (where the rule allows it) a sure group whose
        probability many look-alike classes share: a bird ImageNet has no class for is
        0.19 "kite", 0.11 "bald eagle", 0.08 "bustard"..., 0.65 bird in all."""
        if strongest >= rule.min_top:
            return True
        return bool(rule.group_sure) and score >= rule.group_sure and strongest >= GROUP_MIN_TOP

    def _ancestors(self, name: str) -> frozenset[str]:
        found: set[str] = set()
        stack = list(self.tags[name].parents)
        while stack:
            parent = stack.pop()
            if parent not in found:
                found.add(parent)
                stack.extend(self.tags[parent].parents)
        return frozenset(found)

    def score(self, name: str, probs: np.ndarray) -> float:
        """A tag's summed score, before any bar: what its classes hold together."""
        return float(self.membership[self.row[name]] @ probs)

    def apply(self, probs: np.ndarray) -> list[ClassifierTag]:
        """Visible tags for one softmax vector, best first."""
        import numpy as np

        scores = self.membership @ probs
        strongest = (self.membership * probs).max(axis=1)
        found: list[ClassifierTag] = []
        # A tag whose look-alike siblings take too much of its parent's score is unsure,
        # and so is everything below it (a "scooter" below an unsure "motorcycle").
        contested = {
            name
            for i, name in enumerate(self.order)
            if self.tags[name].share
            and not self._dominant(name, float(scores[i]), scores, self.tags[name].share)
        }
        for i, name in enumerate(self.order):
            rule, score = self.tags[name], float(min(1.0, scores[i]))
            if rule.hidden or score < rule.threshold:
                continue
            if not self._convincing(rule, score, float(strongest[i])):
                continue
            if self._is_species(name) and (
                score < rule.species_threshold
                or not self._dominant(name, score, scores, self.species_share)
            ):
                continue
            if name in contested or self.ancestors[name] & contested:
                continue
            found.append(ClassifierTag(name, score, rule.depth, rule.phrase, self.ancestors[name]))
        # A sure child makes its parents true too ("cat" -> "mammal", "animal"), even when
        # no single class is convincing for the broad parent on its own.
        seen = {t.name for t in found}
        for tag in list(found):
            for parent in sorted(tag.ancestors - seen):
                rule = self.tags[parent]
                if not rule.hidden:
                    seen.add(parent)
                    found.append(
                        ClassifierTag(
                            parent, tag.score, rule.depth, rule.phrase, self.ancestors[parent]
                        )
                    )
        # A sure class is also tagged by its own name ("German Shepherd Dog", "lemon"),
        # except where its group says the name misleads ("palace" on any grand building).
        for cls in probs.argsort()[::-1][:5]:
            p = float(probs[cls])
            if p < self.unlisted_threshold:
                break
            label = _clean_label(self.class_names[cls])
            if self.dropped[cls] or not label or label.lower() in seen:
                continue
            claimers = [self.order[r] for r in np.nonzero(self.membership[:, cls])[0]]
            if any(not self.tags[c].name_classes for c in claimers):
                continue
            if "animal" in claimers and p < self.species_named:
                continue  # a near miss names a sibling species (goose for a duck)
            seen.add(label.lower())
            ancestors = frozenset(claimers) - {label}
            found.append(ClassifierTag(label, p, len(ancestors), _article(label), ancestors))
        return sorted(found, key=lambda t: -t.score)


def _clean_label(label: str) -> str:
    """ "ram (adult male sheep)" -> "ram"; names that list alternatives say too little."""
    name = label.split(" (")[0].strip()
    return "" if " or " in name or "/" in name or "," in name else name


def _name_index(names: list[str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        index.setdefault(name, []).append(i)  # "missile" and "sunglasses" appear twice
    return index


def _resolve(ref: str, index: dict[str, list[int]], n: int, where: str) -> list[int]:
    if ref in index:
        return index[ref]
    first, sep, last = ref.partition("-")
    if first.isdigit() and (not sep or last.isdigit()):
        lo, hi = int(first), int(last or first)
        if 0 <= lo <= hi < n:
            return list(range(lo, hi + 1))
    raise RulesError(f"rules.yaml ({where}): {ref!r} is not an ImageNet class name or range")


def load_rules(class_names: list[str], path: str = RULES_PATH) -> Rules:
    import yaml

    with open(path, encoding="utf-8") as fh:
        return Rules(yaml.safe_load(fh), class_names)
