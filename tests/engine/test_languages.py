"""Descriptions and tag names in the owner's language, from the engine's own catalogues."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

import ai_engine
from ai_engine import Context, EngineSettings, analyze
from ai_engine.language import LANG_DIR, catalogue

TUNE = Path(__file__).resolve().parents[2] / "ai_engine" / "evalset" / "tune"
SHEEP = str(TUNE / "gcompris-sheep.jpg")
SIGN = str(TUNE / "opencv-scenetext01.jpg")


def in_language(registry, language: str, path: str):
    settings = EngineSettings(backend="offline", language=language)
    return analyze(path, context=Context(settings=settings, registry=registry))


def test_the_supported_languages_are_exposed():
    assert set(ai_engine.LANGUAGES) >= {"en", "de", "fr", "es"}


@pytest.mark.parametrize(
    ("language", "sentence", "tags"),
    [
        ("en", "A sheep on grass.", {"sheep", "grass", "outdoor", "animal"}),
        ("de", "Ein Schaf auf Gras.", {"Schaf", "Gras", "draußen", "Tier"}),
        ("fr", "Un mouton sur l'herbe.", {"mouton", "herbe", "extérieur", "animal"}),
        ("es", "Una oveja sobre la hierba.", {"oveja", "hierba", "exterior", "animal"}),
    ],
)
def test_a_real_photo_is_described_and_tagged_in_each_language(registry, language, sentence, tags):
    result = in_language(registry, language, SHEEP)
    assert result.description == sentence
    assert tags <= set(result.tag_names)


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_other_languages_differ_from_english_and_use_their_catalogue(registry, language):
    english = in_language(registry, "en", SIGN)
    other = in_language(registry, language, SIGN)
    assert other.description != english.description
    # The words read on the sign stay as they are; the sentence around them is translated.
    assert "PARKING" in other.description
    words = catalogue(language)
    assert words.nouns["sign"].one in other.description
    assert words.tag_name("text") in other.tag_names
    assert words.tag_name("street") in other.tag_names
    assert not set(other.tag_names) & {"street", "outdoor", "sign"}


def test_an_unknown_language_writes_english_and_warns_once(registry, caplog):
    caplog.set_level(logging.WARNING, logger="ai_engine")
    first = in_language(registry, "tlh", SHEEP)
    in_language(registry, "tlh", SHEEP)
    assert first.description == in_language(registry, "en", SHEEP).description
    warnings = [r for r in caplog.records if "'tlh'" in r.getMessage()]
    assert len(warnings) == 1


def test_a_regional_code_uses_its_language(registry):
    assert in_language(registry, "de-AT", SHEEP).description.startswith("Ein Schaf")


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_catalogue_has_what_english_has(language):
    def load(code: str) -> dict:
        with open(Path(LANG_DIR) / f"{code}.yaml", encoding="utf-8") as fh:
            return yaml.safe_load(fh)

    english, other = load("en"), load(language)
    for section in ("nouns", "scenes", "patterns", "words", "tones"):
        assert set(english[section]) <= set(other[section]), section
    # Every tag English names has a name here too (a noun's singular, or the tags table).
    names = set(other["tags"]) | set(other["nouns"])
    assert set(english["tags"]) <= names
    assert len(other["numbers"]) == len(english["numbers"])
    assert len(other["months"]) == 12


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "A close-up of a waterfowl."),
        ("de", "Eine Nahaufnahme von einem Wasservogel."),
        ("fr", "Un gros plan d'un oiseau aquatique."),
        # A feminine noun with a stressed a- takes "un": "un ave", never "una ave".
        ("es", "Un primer plano de un ave acuática."),
    ],
)
def test_a_new_noun_reads_right_in_each_language(language, sentence):
    from ai_engine.describe import Facts, Thing, compose

    facts = Facts(things=[Thing("waterfowl")], close_up=True, language=language)
    assert compose(facts) == sentence
