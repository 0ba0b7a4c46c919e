"""Composes a plain sentence from the facts the models were confident about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .types import Place

_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_NUMBERS = "zero one two three four five six seven eight nine ten".split()
MAX_TEXT_CHARS = 80


@dataclass
class Facts:
    subjects: list[str] = field(default_factory=list)  # noun phrases, surest first
    faces: int = 0
    portrait: bool = False
    text: str = ""
    colours: list[str] = field(default_factory=list)
    black_and_white: bool = False
    place: Place | None = None
    taken_at: datetime | None = None
    duration_s: float | None = None  # set for videos
    tiny: bool = False


def _number(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _people(faces: int) -> str:
    if faces == 1:
        return "a person"
    return f"{_number(faces)} people"


def _kind(facts: Facts) -> str:
    if facts.duration_s is not None:
        seconds = max(1, round(facts.duration_s))
        return f"{seconds}-second video"
    if facts.tiny:
        return "tiny image"
    if facts.portrait and facts.faces == 1:
        return "portrait"
    if facts.faces >= 3:
        return "group photo"
    return "photo"


def _article(phrase: str) -> str:
    digits = phrase[: len(phrase) - len(phrase.lstrip("0123456789"))]
    if digits:  # "an 8-second", "an 11-second", "an 18-second" video
        return "An" if digits.startswith("8") or digits in ("11", "18") else "A"
    return "An" if phrase[:1].lower() in "aeiou" else "A"


def when_where(facts: Facts) -> str:
    parts = []
    if facts.taken_at:
        d = facts.taken_at
        parts.append(f"taken {d.day} {_MONTHS[d.month - 1]} {d.year}")
    if facts.place:
        parts.append(f"near {facts.place.city}, {facts.place.country_code}")
    return " ".join(parts)


def visible_text(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > MAX_TEXT_CHARS:
        flat = flat[: MAX_TEXT_CHARS - 1].rstrip() + "…"
    return f'Visible text: "{flat}".' if flat else ""


def compose(facts: Facts) -> str:
    """E.g. 'A photo of a ladybug on a plant, taken 12 May 2024 near Lyon, FR.'"""
    kind = _kind(facts)
    if facts.black_and_white:
        kind = f"black-and-white {kind}"
    sentence = f"{_article(kind)} {kind}"
    if facts.faces:
        sentence += f" of {_people(facts.faces)}"
        if facts.subjects:
            sentence += f" with {_join(facts.subjects)}"
    elif facts.subjects:
        sentence += f" of {_join(facts.subjects)}"
    elif facts.colours and not facts.black_and_white:
        sentence += f" in {_join(facts.colours[:2])} tones"
    place_and_date = when_where(facts)
    if place_and_date:
        sentence += f", {place_and_date}"
    sentence += "."
    text = visible_text(facts.text)
    return f"{sentence} {text}" if text else sentence
