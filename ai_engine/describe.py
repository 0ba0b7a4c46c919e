"""Composes a sentence from the facts the models were sure of, in the owner's language.

The words and patterns come from the catalogues in lang/ (see language.py), so a
sentence is right in English, German, French and Spanish alike: "Two dogs on grass
under a blue sky." / "Zwei Hunde auf Gras unter blauem Himmel."
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .language import Catalogue, Noun, catalogue, country_name
from .types import Place

MAX_TEXT_CHARS = 60
MAX_THINGS = 2
MAX_SCENES = 2
# Things whose visible text is what they "read" ("A street sign reading 'No parking'").
TEXT_BEARING = frozenset({"sign", "book", "shop", "street", "clock"})


@dataclass(frozen=True)
class Thing:
    """A subject by its catalogue key; count 1 is "a dog", 3 is "three dogs"."""

    key: str
    count: int = 1


@dataclass
class Facts:
    subjects: list[str] = field(default_factory=list)  # English phrases (other backends)
    things: list[Thing] = field(default_factory=list)  # catalogue subjects, surest first
    faces: int = 0  # people seen (checked faces, or other evidence of people)
    portrait: bool = False
    scenes: list[str] = field(default_factory=list)  # catalogue scene keys, most telling first
    close_up: bool = False
    text: str = ""
    colours: list[str] = field(default_factory=list)
    black_and_white: bool = False
    place: Place | None = None
    taken_at: datetime | None = None
    light_ev: float | None = None  # EXIF exposure as scene light (ExifFacts.light_ev)
    flash: bool | None = None
    duration_s: float | None = None  # set for videos
    tiny: bool = False
    language: str = "en"


@dataclass(frozen=True)
class Phrase:
    """A noun phrase as a subject and after a preposition that takes the dative (German)."""

    nom: str
    dat: str

    @staticmethod
    def plain(text: str) -> Phrase:
        return Phrase(text, text)


def _fill(cat: Catalogue, pattern: str, **parts: str | Phrase) -> Phrase:
    template = cat.patterns[pattern]
    nom: dict[str, str] = {}
    dat: dict[str, str] = {}
    for key, value in parts.items():
        phrase = value if isinstance(value, Phrase) else Phrase.plain(value)
        nom[key], nom[f"{key}_dat"] = phrase.nom, phrase.dat
        dat[key], dat[f"{key}_dat"] = phrase.nom, phrase.dat
    # The whole phrase after a dative preposition: German articles at its front change.
    return Phrase(template.format(**nom), _dative_front(cat, template.format(**dat)))


def _dative_front(cat: Catalogue, text: str) -> str:
    first, _, rest = text.partition(" ")
    for gender, article in cat.articles.items():
        if first == article and gender in cat.articles_dat and rest:
            return f"{cat.articles_dat[gender]} {rest}"
    return text


def _english_article(noun: Noun) -> str:
    if noun.article:
        return noun.article
    return "an" if noun.one[:1].lower() in "aeiou" else "a"


def noun_phrase(cat: Catalogue, thing: Thing) -> Phrase:
    noun = cat.nouns.get(thing.key)
    if noun is None:  # an ImageNet label without a catalogue entry: English only
        noun = Noun(thing.key, thing.key, "", False, "", "")
    if noun.mass:
        return Phrase(noun.one, noun.dative or noun.one)
    if thing.count > 1:
        many = f"{cat.number(thing.count)} {noun.many}"
        dative = noun.dative or (noun.many if noun.many.endswith(("n", "s")) else noun.many + "n")
        return Phrase(many, f"{cat.number(thing.count)} {dative}" if cat.articles_dat else many)
    if cat.code == "en":
        return Phrase.plain(f"{_english_article(noun)} {noun.one}")
    article = cat.articles.get(noun.gender or "m", "")
    dat_article = cat.articles_dat.get(noun.gender or "m", article)
    return Phrase(f"{article} {noun.one}".strip(), f"{dat_article} {noun.one}".strip())


def _people(cat: Catalogue, count: int, portrait: bool) -> Phrase:
    if count >= 3:
        return _fill(cat, "group", number=cat.number(count))
    person = noun_phrase(cat, Thing("person", count))
    if portrait and count == 1:
        return _fill(cat, "portrait_of", subject=person)
    return person


def _join(cat: Catalogue, items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {cat.words['and']} " + items[-1]


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > MAX_TEXT_CHARS:
        flat = flat[: MAX_TEXT_CHARS - 1].rstrip() + "…"
    return flat


def _scene_alone(cat: Catalogue, key: str) -> Phrase | None:
    scene = cat.scenes.get(key, {})
    if "alone" in scene:
        return Phrase(scene["alone"], scene.get("alone_dat", scene["alone"]))
    if key in cat.nouns:
        return noun_phrase(cat, Thing(key))
    return None


def _core(facts: Facts, cat: Catalogue) -> tuple[Phrase | None, bool]:
    """The sentence's subject with its complements; and whether the text was used in it."""
    things = facts.things[:MAX_THINGS]
    head: Phrase | None = None
    used_text = False
    if facts.faces:
        head = _people(cat, facts.faces, facts.portrait)
    elif things:
        head = noun_phrase(cat, things[0])
        things = things[1:]
        if facts.close_up:
            head = _fill(cat, "close_up", subject=head)
    elif facts.subjects and cat.code == "en":  # English phrases from another backend
        head = Phrase.plain(_join(cat, facts.subjects[:MAX_THINGS]))
    if head is not None and things:
        other = noun_phrase(cat, things[0])
        pattern = "around" if things[0].key == "table" and facts.faces else "with"
        head = _fill(cat, pattern, a=head, b=other)

    scenes = [s for s in facts.scenes if s in cat.scenes or s in cat.nouns]
    if head is None and scenes:
        for i, key in enumerate(scenes):
            alone = _scene_alone(cat, key)
            if alone is not None:
                head = alone
                if facts.close_up and key in ("foliage", "plants"):
                    head = _fill(cat, "close_up", subject=head)
                scenes = scenes[:i] + scenes[i + 1 :]
                break
    if head is None and facts.text:
        return _fill(cat, "text_alone", text=_quote(facts.text)), True

    if head is not None:
        after = [cat.scenes[s]["after"] for s in scenes if "after" in cat.scenes.get(s, {})]
        # ", indoors" is set off by a comma; "under a blue sky" follows with a space.
        tail = "".join(a if a.startswith(",") else f" {a}" for a in after[:MAX_SCENES])
        head = Phrase(head.nom + tail, head.dat + tail)
        subject_keys = {t.key for t in facts.things[:MAX_THINGS]}
        if facts.text and subject_keys & TEXT_BEARING:
            head = _fill(cat, "reading", a=head, text=_quote(facts.text))
            used_text = True
    return head, used_text


def compose(facts: Facts) -> str:
    """E.g. 'Two dogs on grass under a blue sky, in Lyon, France, May 2024.'"""
    cat = catalogue(facts.language)
    head, used_text = _core(facts, cat)
    kind = _kind(facts, cat)
    if head is None:
        if facts.colours and not facts.black_and_white:
            tones = [cat.tones.get(c, c) for c in facts.colours[:2]]
            sentence = _fill(cat, "tones", kind=kind, colours=_join(cat, tones)).nom
        else:
            sentence = kind
    elif kind != cat.words["photo"]:
        sentence = _fill(cat, "kind_of", kind=kind, subject=head).nom
    else:
        sentence = head.nom
    place_and_date = when_where(facts)
    if place_and_date:
        sentence += f", {place_and_date}"
    sentence = _capitalise(cat.fix(sentence)) + "."
    if facts.text and not used_text:
        sentence += " " + visible_text(facts.text, facts.language)
    return sentence


def _kind(facts: Facts, cat: Catalogue) -> str:
    if facts.duration_s is not None:
        seconds = max(1, round(facts.duration_s))
        kind = cat.words["video"].format(seconds=seconds)
        digits = str(seconds)
        if cat.code == "en" and (digits.startswith("8") or digits in ("11", "18")):
            kind = "an" + kind[1:]  # "an 8-second", "an 11-second", "an 18-second" video
        return kind
    if facts.tiny:
        return cat.words["tiny"]
    if facts.black_and_white:
        return cat.words["bw_photo"]
    return cat.words["photo"]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def when_where(facts: Facts) -> str:
    """'in Leuven, Belgium, August 2007' (place and month the photo was taken)."""
    cat = catalogue(facts.language)
    parts = []
    if facts.place:
        country = country_name(facts.place.country_code, facts.language)
        parts.append(cat.patterns["place"].format(city=facts.place.city, country=country))
    if facts.taken_at:
        month = cat.months[facts.taken_at.month - 1]
        parts.append(cat.patterns["date"].format(month=month, year=facts.taken_at.year))
    return ", ".join(parts)


def visible_text(text: str, language: str = "en") -> str:
    flat = _quote(text)
    return catalogue(language).patterns["text_after"].format(text=flat) if flat else ""
