"""Scores the engine on the labelled evaluation set: `python -m ai_engine.evaluate`.

A benchmark, not a test. It runs `ai_engine.analyze` with default settings on the photos of
`ai_engine/evalset/` and compares what comes out with the labels a person wrote for each photo
(see evalset/README.md). It reads only the public `Analysis` fields `description` and `tags`
(name, score, source), so it scores any backend the same way.

Per photo and in total:
- right: at least 2 of the top-5 subject tags (tags not from the colour source) are accepted;
  a photo with fewer than 2 subject tags is not right;
- wrong: a claim of a subject listed as wrong, as a tag or as words of the description;
- relevant: the number of tags in `accept` (a colour tag counts only when accepted and the
  photo has a tag that is not a colour);
- the share of photos with at least 5 relevant tags.

Words are compared case-, singular/plural- and punctuation-insensitively, on word boundaries.
Text the engine quotes from the photo (OCR, in quotes in the description, or tags whose source
is "ocr") and place names are read, not claimed, so they are never counted as wrong claims.
The labels are English: scores are meaningful for `--language en` only.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

EVALSET = Path(__file__).resolve().parent / "evalset"
SETS = ("tune", "holdout", "holdout2", "holdout3", "holdout4", "holdout5")
TOP_N = 5
RIGHT_MIN = 2
MANY_RELEVANT = 5
COLOUR_SOURCE = "colour"
# Sources whose tags repeat what the photo says or where it was taken, not what it shows.
READ_SOURCES = frozenset({"ocr", "place"})

_IRREGULAR = {
    "people": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "geese": "goose",
    "mice": "mouse",
    "teeth": "tooth",
    "feet": "foot",
    "oxen": "ox",
    "leaves": "leaf",
    "wolves": "wolf",
    "knives": "knife",
    "shelves": "shelf",
    "calves": "calf",
}
# Words that end in "s" in the singular.
_KEEP_S = frozenset(
    {"bus", "glass", "grass", "moss", "cactus", "lotus", "octopus", "walrus", "canvas", "dress"}
    | {"chess", "cross", "gas", "iris", "lens", "christmas", "news", "series", "species"}
    | {"asparagus", "hibiscus", "platypus", "hippopotamus", "bonus", "campus", "circus"}
)
# Quoted text: 'x', "x", ‘x’, “x”, «x». An apostrophe inside a word (dog's) is not a quote.
_QUOTED = re.compile(r"(?<![\w])['\"‘“«](.+?)['\"’”»](?![\w])")


class TagLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def source(self) -> str: ...


class AnalysisLike(Protocol):
    # Read-only members: a list[ScoredTag] is then a Sequence[TagLike].
    @property
    def description(self) -> str: ...
    @property
    def tags(self) -> Sequence[TagLike]: ...


@dataclass(frozen=True)
class Labels:
    file: str
    category: str
    accept: tuple[str, ...]
    wrong: tuple[str, ...]
    people: int | None = None


@dataclass
class Score:
    file: str
    category: str
    right: bool
    wrong_claims: list[str]
    relevant: int
    relevant_tags: list[str]
    top_subject_tags: list[str]
    tags: list[str]
    description: str
    seconds: float = 0.0
    wrong_tags: list[str] = field(default_factory=list)  # tags that claim a wrong subject

    @property
    def many_relevant(self) -> bool:
        return self.relevant >= MANY_RELEVANT


def singular(word: str) -> str:
    """A cheap English singular, good enough to compare label words with engine words."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _KEEP_S or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes", "oes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """Lower-case singular words; hyphens and punctuation separate words."""
    tokens = re.findall(r"[^\W_]+(?:'[^\W_]+)?", text.lower())
    return tuple(singular(t.removesuffix("'s")) for t in tokens)


def _starts(haystack: tuple[str, ...], needle: tuple[str, ...]) -> list[int]:
    n = len(needle)
    if not n:
        return []
    return [i for i in range(len(haystack) - n + 1) if haystack[i : i + n] == needle]


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    return bool(_starts(haystack, needle))


def _claims(said: tuple[str, ...], needle: tuple[str, ...], accept: set[tuple[str, ...]]) -> bool:
    """Whether `said` names `needle` outside of an accepted phrase ("fox" in "fox squirrel")."""
    covered: set[int] = set()
    for phrase in accept:
        if len(phrase) > len(needle) and _contains(phrase, needle):
            for i in _starts(said, phrase):
                covered.update(range(i, i + len(phrase)))
    n = len(needle)
    return any(not set(range(i, i + n)) <= covered for i in _starts(said, needle))


def unquoted(description: str) -> str:
    """The description without the text it quotes from the photo."""
    return _QUOTED.sub(" ", description)


def _ordered(tags: Iterable[TagLike]) -> list[TagLike]:
    return sorted(tags, key=lambda t: -t.score)


def score(labels: Labels, analysis: AnalysisLike) -> Score:
    """Compare one analysis with one photo's labels (a pure function)."""
    accept = {words(a) for a in labels.accept}
    # One claim per wrong subject and place, however many spellings name it (person, people).
    firsts: dict[tuple[str, ...], str] = {}
    for w in labels.wrong:
        firsts.setdefault(words(w), w)
    wrong = [(w, ww) for ww, w in firsts.items()]
    tags = _ordered(analysis.tags)

    subject = [t for t in tags if t.source != COLOUR_SOURCE]
    top = subject[:TOP_N]
    accepted_top = [t for t in top if words(t.name) in accept]
    right = len(top) >= RIGHT_MIN and len(accepted_top) >= RIGHT_MIN

    has_subject = bool(subject)
    relevant_tags = [
        t.name
        for t in tags
        if words(t.name) in accept and (t.source != COLOUR_SOURCE or has_subject)
    ]

    claims: list[str] = []
    wrong_tags: list[str] = []
    for tag in tags:
        tag_words = words(tag.name)
        if tag.source in READ_SOURCES or tag_words in accept:
            continue
        found = [f"tag {tag.name!r}: {w}" for w, ww in wrong if _contains(tag_words, ww)]
        claims += found
        wrong_tags += [tag.name] if found else []
    said = words(unquoted(analysis.description))
    claims += [f"description: {w}" for w, ww in wrong if _claims(said, ww, accept)]

    return Score(
        file=labels.file,
        category=labels.category,
        right=right,
        wrong_claims=claims,
        relevant=len(relevant_tags),
        relevant_tags=relevant_tags,
        top_subject_tags=[t.name for t in top],
        tags=[t.name for t in tags],
        description=analysis.description,
        wrong_tags=wrong_tags,
    )


@dataclass
class Totals:
    photos: int
    right: int
    wrong_photos: int
    wrong_claims: int
    mean_relevant: float
    many_relevant: int

    @property
    def right_pct(self) -> float:
        return 100.0 * self.right / self.photos if self.photos else 0.0

    @property
    def many_relevant_pct(self) -> float:
        return 100.0 * self.many_relevant / self.photos if self.photos else 0.0

    def line(self) -> str:
        return (
            f"right {self.right}/{self.photos} ({self.right_pct:.0f}%), "
            f"wrong {self.wrong_claims} claims on {self.wrong_photos} photos, "
            f"relevant tags {self.mean_relevant:.2f} per photo, "
            f">=5 relevant {self.many_relevant}/{self.photos} ({self.many_relevant_pct:.0f}%)"
        )


def totals(scores: Sequence[Score]) -> Totals:
    return Totals(
        photos=len(scores),
        right=sum(s.right for s in scores),
        wrong_photos=sum(bool(s.wrong_claims) for s in scores),
        wrong_claims=sum(len(s.wrong_claims) for s in scores),
        mean_relevant=statistics.mean(s.relevant for s in scores) if scores else 0.0,
        many_relevant=sum(s.many_relevant for s in scores),
    )


@dataclass
class TagPrecision:
    """How often one tag was said, accepted (true), listed as wrong, or neither."""

    name: str
    said: int = 0
    accepted: int = 0
    wrong: int = 0

    @property
    def precision(self) -> float:
        return self.accepted / self.said if self.said else 0.0

    def line(self) -> str:
        neither = self.said - self.accepted - self.wrong
        return (
            f"{self.name:<18} said {self.said:3d}  accepted {self.accepted:3d} "
            f"({100 * self.precision:3.0f}%)  wrong {self.wrong:2d}  neither {neither:2d}"
        )


def tag_precision(scores: Sequence[Score]) -> list[TagPrecision]:
    """Per tag name, most said first: a measured precision for every tag the engine says.

    "neither" counts tags the labels neither accept nor list as wrong (unknown, not false).
    """
    table: dict[str, TagPrecision] = {}
    for result in scores:
        relevant, wrong = set(result.relevant_tags), set(result.wrong_tags)
        for name in result.tags:
            row = table.setdefault(name, TagPrecision(name))
            row.said += 1
            row.accepted += name in relevant
            row.wrong += name in wrong
    return sorted(table.values(), key=lambda r: (-r.said, r.name))


def load_labels(set_name: str, root: Path = EVALSET) -> list[tuple[Path, Labels]]:
    """The photos of one set (a name in `SETS`) and their labels."""
    import yaml

    data = yaml.safe_load((root / f"{set_name}.yaml").read_text(encoding="utf-8"))
    photos = []
    for item in data["photos"]:
        labels = Labels(
            file=item["file"],
            category=item["category"],
            accept=tuple(item.get("accept", ())),
            wrong=tuple(item.get("wrong", ())),
            people=item.get("people"),
        )
        photos.append((root / set_name / labels.file, labels))
    return photos


def photo_set(name: str, only: str | None = None) -> list[tuple[str, Path, Labels]]:
    names = SETS if name == "all" else (name,)
    photos = [(s, path, labels) for s in names for path, labels in load_labels(s)]
    if only:
        photos = [p for p in photos if only in (p[2].file, Path(p[2].file).stem)]
    return photos


def _print_score(set_name: str, result: Score) -> None:
    mark = "RIGHT" if result.right else "-----"
    wrong = f"  WRONG: {'; '.join(result.wrong_claims)}" if result.wrong_claims else ""
    print(
        f"{mark} {result.relevant:2d} relevant  {set_name}/{result.file} [{result.category}]{wrong}"
    )
    print(f"      tags: {', '.join(result.tags) or '-'}")
    print(f"      description: {result.description}")


def _print_totals(title: str, scores: Sequence[Score]) -> None:
    print(f"{title}: {totals(scores).line()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=(*SETS, "all"), default="tune", dest="set_name")
    parser.add_argument("--only", help="one photo, by file name (with or without .jpg)")
    parser.add_argument("--json", type=Path, help="write per-photo results to this file")
    parser.add_argument(
        "--language", default="en", help="EngineSettings.language (labels are English)"
    )
    parser.add_argument(
        "--precision", action="store_true", help="also print each tag's measured precision"
    )
    options = parser.parse_args(argv)

    photos = photo_set(options.set_name, options.only)
    if not photos:
        print(f"no photo matches {options.only!r}", file=sys.stderr)
        return 2
    if not options.language.lower().startswith("en"):
        print("note: the labels are English; scores for other languages mean little")

    from . import Context, EngineSettings, analyze

    context = Context(settings=EngineSettings(language=options.language))
    by_set: dict[str, list[Score]] = {}
    for set_name, path, labels in photos:
        started = time.perf_counter()
        analysis = analyze(path, context=context)
        result = score(labels, analysis)
        result.seconds = round(time.perf_counter() - started, 3)
        by_set.setdefault(set_name, []).append(result)
        _print_score(set_name, result)

    print()
    for set_name, scores in by_set.items():
        categories = sorted({s.category for s in scores})
        for category in categories:
            _print_totals(
                f"  {set_name} {category:<10}", [s for s in scores if s.category == category]
            )
        _print_totals(f"{set_name.upper()} ({len(scores)} photos)", scores)
    if len(by_set) > 1:
        _print_totals("ALL", [s for scores in by_set.values() for s in scores])
    if options.precision:
        print("\nprecision per tag (all photos scored):")
        for row in tag_precision([s for scores in by_set.values() for s in scores]):
            print(f"  {row.line()}")

    if options.json:
        payload = {
            "language": options.language,
            "totals": {name: asdict(totals(scores)) for name, scores in by_set.items()},
            "photos": {name: [asdict(s) for s in scores] for name, scores in by_set.items()},
        }
        options.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
