"""A captioner's sentence, checked against what the engine knows before it is stored.

Captioners never abstain: a small one writes "a man riding a bike" over an empty road, or
names a city it guessed. The rule is the offline engine's: right or silent. A claim that can
be checked cheaply and has no evidence is cut, together with the clause that carries it; if
nothing useful is left, the caller composes the sentence from the facts instead.

Checked claims:
- people (man, woman, child, crowd, he, she..., and every one-word concept of the
  vocabulary that needs a face: "bride", "chef"): need a face the offline engine confirmed;
- proper names (a capitalised word after the first): must be the place's city, region or
  country code, or appear in the text read from the image;
- "black and white": the picture must be black and white;
- a word of the tag vocabulary ("dog", "beach", or a synonym, "puppy") must not be one
  the image-text model scored far under the concept's threshold for this photo.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

PERSON_WORDS = frozenset(
    """man men woman women person persons people boy boys girl girls child children kid kids
    baby babies toddler toddlers teenager teenagers lady ladies guy guys gentleman gentlemen
    player players crowd family couple bride groom someone somebody he she him her his hers
    they them their mother father mom dad""".split()
)  # fmt: skip
# Where a clause begins: cutting before one of these keeps a sentence that still reads.
CLAUSE_STARTS = frozenset(
    """with and while where as featuring holding near beside behind next by in on at under
    over from wearing who that which""".split()
)  # fmt: skip
# What captioners put before the content ("The image shows ..."); style, not a claim.
PREAMBLE = re.compile(
    r"^(?:in\s+)?(?:this|the)\s+(?:image|picture|photo|photograph)\s+"
    r"(?:we\s+can\s+see|shows|is|depicts|features|contains)\s+",
    re.IGNORECASE,
)
BLACK_AND_WHITE = re.compile(r"\bblack[- ]and[- ]white\s+", re.IGNORECASE)
# A caption cut down to one of these says nothing the facts don't say better.
EMPTY = frozenset(
    {"", "a photo", "an image", "a picture", "a photograph", "a close up", "a view", "the view"}
)


@dataclass(frozen=True)
class Evidence:
    people: bool = False  # a face was seen
    black_and_white: bool = False
    names: frozenset[str] = field(default_factory=frozenset)  # proper names known to be right
    doubted: frozenset[str] = field(default_factory=frozenset)  # vocabulary words judged absent
    # Vocabulary words that name a person ("bride"), checked like PERSON_WORDS.
    person_words: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        *,
        people: bool,
        black_and_white: bool,
        place: Iterable[str],
        text: str,
        doubted: frozenset[str] = frozenset(),
        person_words: frozenset[str] = frozenset(),
    ) -> Evidence:
        known = {w for phrase in place for w in phrase.split() if w}
        known |= set(re.findall(r"[A-Za-z][\w'-]*", text))
        return cls(people, black_and_white, frozenset(known), doubted, person_words)

    def names_person(self, word: str) -> bool:
        singular = word[:-1] if word.endswith("s") else word
        return word in PERSON_WORDS or bool({word, singular} & self.person_words)


def check_caption(caption: str, evidence: Evidence) -> str:
    """The caption with every unsupported claim cut; "" when nothing worth saying remains."""
    text = PREAMBLE.sub("", " ".join(caption.split())).rstrip(" .")
    if not evidence.black_and_white:
        text = BLACK_AND_WHITE.sub("", text)
    words = text.split()
    for index, word in enumerate(words):
        if _unsupported(word, index, evidence):
            words = words[: _clause_start(words, index)]
            break
    while words and words[-1].lower().strip(",;:") in CLAUSE_STARTS | {"a", "an", "the"}:
        words.pop()  # "a dog next to" -> "a dog"
    kept = " ".join(words).rstrip(",;: ")
    return "" if kept.lower() in EMPTY or len(words) < 2 else kept


def _unsupported(word: str, index: int, evidence: Evidence) -> bool:
    bare = word.strip(".,;:!?\"'()")
    if not bare:
        return False
    lower = bare.lower().removesuffix("'s")
    if not evidence.people and evidence.names_person(lower):
        return True
    if lower in evidence.doubted or (lower.endswith("s") and lower[:-1] in evidence.doubted):
        return True
    proper = index > 0 and bare[:1].isupper() and not bare.isupper()
    return proper and bare.removesuffix("'s") not in evidence.names


def _clause_start(words: list[str], index: int) -> int:
    """Index of the word that opens the clause holding words[index] (0: the whole caption)."""
    for back in range(index - 1, 0, -1):
        if words[back].lower() in CLAUSE_STARTS:
            return back
        if words[back].endswith(","):
            return back + 1
    return 0
