"""The sentence composer on facts alone: plurals, mass nouns, articles, scenes, text, place."""

from __future__ import annotations

from datetime import datetime

import pytest

from ai_engine.describe import Facts, Thing, compose
from ai_engine.types import Place

LEUVEN = Place("Leuven", "Flanders", "BE", 1.2)


@pytest.mark.parametrize(
    ("facts", "sentence"),
    [
        (
            Facts(things=[Thing("dog", 2)], scenes=["grass", "blue sky"]),
            "Two dogs on grass under a blue sky.",
        ),
        (
            Facts(faces=7, things=[Thing("table")], scenes=["indoors"]),
            "A group of seven people around a table, indoors.",
        ),
        (
            Facts(
                things=[Thing("sign")],
                text="No parking",
                place=LEUVEN,
                taken_at=datetime(2007, 8, 14, 10, 0),
            ),
            "A street sign reading 'No parking', in Leuven, Belgium, August 2007.",
        ),
        (Facts(scenes=["grass", "sea", "blue sky"]), "Grass by the sea under a blue sky."),
        (Facts(scenes=["grass", "sea"], duration_s=3.2), "A 3-second video of grass by the sea."),
        (Facts(duration_s=8.0, things=[Thing("cat")]), "An 8-second video of a cat."),
        # Mass nouns take no article and no number.
        (Facts(things=[Thing("cattle")], scenes=["meadow"]), "Cattle in a meadow."),
        (Facts(things=[Thing("cattle", 3)]), "Cattle."),
        # "a/an" by sound, plural forms from the catalogue, not by adding "s".
        (Facts(things=[Thing("apple")], close_up=True), "A close-up of an apple."),
        (Facts(things=[Thing("sheep", 3)]), "Three sheep."),
        (Facts(things=[Thing("butterfly", 2)]), "Two butterflies."),
        (Facts(things=[Thing("goose", 12)]), "Twelve geese."),
        (Facts(things=[Thing("wolf", 14)]), "14 wolves."),
        (
            Facts(faces=1, portrait=True, things=[Thing("coffee")]),
            "A portrait of a person with a cup of coffee.",
        ),
        (Facts(faces=2), "Two people."),
        (Facts(scenes=["foliage"], close_up=True), "A close-up of green leaves."),
        # Colour only when nothing else is known.
        (Facts(colours=["blue", "green"]), "A photo in blue and green tones."),
        (Facts(colours=["blue"], scenes=["blue sky"]), "A blue sky."),
        # A sky the pixels can't call clear blue (dusk, storm) is not called blue.
        (Facts(things=[Thing("mountain")], scenes=["sky"]), "A mountain under the sky."),
        (Facts(black_and_white=True, colours=["grey"]), "A black-and-white photo."),
        (Facts(text="Happy birthday Anna"), "Text reading 'Happy birthday Anna'."),
        (
            Facts(things=[Thing("cat")], text="Chelsea"),
            "A cat. Text: 'Chelsea'.",
        ),
    ],
)
def test_it_composes_a_grammatical_sentence(facts, sentence):
    assert compose(facts) == sentence


def test_it_never_says_a_music():
    # The rules' "music" group is named by the offline backend as a musical instrument;
    # the word itself, when used, is a mass noun.
    assert compose(Facts(things=[Thing("music")])) == "Music."
    assert compose(Facts(things=[Thing("instrument")])) == "A musical instrument."


def test_it_shortens_long_text():
    sentence = compose(Facts(things=[Thing("sign")], text="word " * 40))
    quoted = sentence.split("'")[1]
    assert len(quoted) <= 60 and quoted.endswith("…")
