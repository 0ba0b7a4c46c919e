"""The caption check: a captioner's claims are kept only with evidence (strings and facts)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ai_engine.captions import Evidence, check_caption
from ai_engine.describe import Facts
from ai_engine.hf_backend import caption_sentence
from ai_engine.types import Place
from ai_engine.vocabulary import Concept, Vocabulary, doubted_words

NOBODY = Evidence()
SOMEONE = Evidence(people=True)
PARIS = Place(city="Paris", admin="Ile-de-France", country_code="FR", distance_km=1.0)


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("a cat laying on a bed", "a cat laying on a bed"),
        # The person is the subject: nothing true is left, so nothing is said.
        ("a man riding a bike down a street", ""),
        ("Two women standing on a beach", ""),
        # The person is in a later clause: that clause goes, the rest stays.
        ("a dog sitting on a bench next to a woman", "a dog sitting on a bench"),
        ("a kitchen with a man cooking", "a kitchen"),
        ("a red car parked on a street, a boy walking by", "a red car parked on a street"),
        ("a cat on her lap", "a cat"),
        # Style, not a claim.
        ("The image shows a cup of coffee on a table.", "a cup of coffee on a table"),
        # Cut down to nothing worth saying.
        ("a photo of a man", ""),
    ],
)
def test_it_cuts_people_nobody_saw(caption, expected):
    assert check_caption(caption, NOBODY) == expected


def test_it_keeps_people_when_a_face_or_person_tag_backs_them():
    caption = "a man riding a bike down a street"
    assert check_caption(caption, SOMEONE) == caption


def test_it_keeps_only_names_the_facts_know():
    evidence = Evidence.of(people=False, black_and_white=False, place=["Paris", "FR"], text="")
    # A landmark the facts cannot confirm is a guess: cut, and "a view of the" says nothing.
    assert check_caption("a view of the Eiffel Tower in Paris", evidence) == ""
    assert check_caption("a street in Paris at night", evidence) == "a street in Paris at night"
    assert check_caption("a street in London at night", evidence) == "a street"
    # A name read from the photo (OCR) is evidence too.
    sign = Evidence.of(people=False, black_and_white=False, place=[], text="WELCOME TO Oslo")
    assert check_caption("a sign that says Oslo", sign) == "a sign that says Oslo"


def test_it_drops_black_and_white_from_a_colour_photo():
    assert check_caption("a black and white photo of a cat", NOBODY) == "a photo of a cat"
    kept = check_caption("a black and white photo of a cat", Evidence(black_and_white=True))
    assert kept == "a black and white photo of a cat"


def test_it_cuts_what_the_image_text_model_did_not_see():
    # The tagger found a cat and a bed, and scored "dog" far below them.
    evidence = Evidence(doubted=frozenset({"dog", "beach"}))
    assert check_caption("a cat laying on a bed next to a dog", evidence) == "a cat laying on a bed"
    assert check_caption("two dogs playing on a beach", evidence) == ""
    assert check_caption("a cat laying on a bed", evidence) == "a cat laying on a bed"


VOCABULARY = Vocabulary(
    (
        Concept("tabby cat", 0.1, parents=("cat",)),
        Concept("cat", 0.1, synonyms=("kitten",)),
        Concept("dog", 0.1, synonyms=("puppy",)),
        Concept("bed", 0.2),
        Concept("bride", 0.1, needs="face"),
    )
)


def test_a_narrower_word_backs_its_parent_and_synonyms_share_the_doubt():
    scores = {"tabby cat": 0.4, "bed": 0.3, "dog": 0.001, "cat": 0.001, "bride": 0.05}
    # "cat" scored nothing, but "tabby cat" under it did; "bride" is low, not far too low.
    assert doubted_words(scores, VOCABULARY) == {"dog", "puppy"}
    evidence = Evidence(doubted=doubted_words(scores, VOCABULARY))
    assert check_caption("a kitten on a bed next to a puppy", evidence) == "a kitten on a bed"


def test_a_concept_that_needs_a_face_is_a_person_word():
    words = VOCABULARY.words_needing("face")
    nobody = Evidence(person_words=words)
    assert check_caption("a cake on a table beside the bride", nobody) == "a cake on a table"
    assert check_caption("two brides dancing", nobody) == ""
    seen = Evidence(people=True, person_words=words)
    assert check_caption("two brides dancing", seen) == "two brides dancing"


def test_the_sentence_is_the_checked_caption_completed_by_the_facts():
    facts = Facts(place=PARIS, taken_at=datetime(2024, 5, 12, 10, 30), text="OPEN 24H")
    sentence = caption_sentence("a cat laying on a bed", facts, people=False)
    assert sentence == ("A cat laying on a bed, in Paris, France, May 2024. Text: 'OPEN 24H'.")


def test_an_empty_check_falls_back_to_the_facts():
    facts = Facts(place=PARIS, taken_at=datetime(2024, 5, 12, 10, 30))
    sentence = caption_sentence("a man standing in front of a building", facts, people=False)
    assert "man" not in sentence
    assert sentence.endswith(", in Paris, France, May 2024.")


def test_a_face_lets_the_person_through():
    facts = Facts(faces=1)
    sentence = caption_sentence("a man standing in front of a building", facts, people=True)
    assert sentence == "A man standing in front of a building."
