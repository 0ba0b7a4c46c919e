"""The evaluation's scorer (ai_engine.evaluate.score) and its labelled set.

The scorer, not the engine, is under test here, so the analyses are plain objects built by hand:
what a backend could return for a photo, right or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from ai_engine.evaluate import (
    Labels,
    photo_set,
    score,
    singular,
    tag_precision,
    totals,
    unquoted,
)


@dataclass
class Tag:
    name: str
    score: float
    source: str = "classifier"


@dataclass
class Result:
    description: str = ""
    tags: list[Tag] = field(default_factory=list)


COWS = Labels(
    file="cows.jpg",
    category="animals",
    accept=("cow", "cattle", "animal", "grass", "meadow", "green", "outdoor", "sky"),
    wrong=("dog", "horse", "great dane"),
)
LEAF = Labels(
    file="leaf.jpg",
    category="nature",
    accept=("leaf", "plant", "green", "close-up"),
    wrong=("insect", "caterpillar"),
)
SIGN = Labels(
    file="sign.jpg",
    category="text",
    accept=("sign", "text", "street", "car park"),
    wrong=("car", "vehicle"),
)


def test_two_accepted_subject_tags_in_the_top_five_make_a_photo_right() -> None:
    result = score(
        COWS,
        Result(
            "Cattle on a meadow.",
            [
                Tag("cattle", 0.9),
                Tag("meadow", 0.8),
                Tag("fence", 0.7),
                Tag("green", 0.6, "colour"),
            ],
        ),
    )
    assert result.right
    assert result.wrong_claims == []
    assert result.top_subject_tags == ["cattle", "meadow", "fence"]


def test_accepted_tags_below_the_top_five_subject_tags_do_not_make_it_right() -> None:
    misses = [
        Tag(name, 0.9 - i / 100) for i, name in enumerate("barn fence tractor hay pen".split())
    ]
    result = score(COWS, Result("", [*misses, Tag("cow", 0.5), Tag("grass", 0.4)]))
    assert not result.right
    assert result.relevant == 2  # still relevant tags, just not among the surest


def test_colour_tags_never_make_a_photo_right_and_alone_are_not_relevant() -> None:
    only_colour = score(LEAF, Result("A photo in green tones.", [Tag("green", 0.7, "colour")]))
    assert not only_colour.right
    assert only_colour.relevant == 0

    # One accepted subject tag is not enough for "right", but the true colour now counts.
    with_subject = score(LEAF, Result("A leaf.", [Tag("leaf", 0.8), Tag("green", 0.7, "colour")]))
    assert not with_subject.right
    assert with_subject.relevant == 2


def test_a_wrong_subject_is_caught_in_tags_and_in_the_description_in_any_number() -> None:
    result = score(
        COWS,
        Result("Two dogs on the grass.", [Tag("Great Danes", 0.6), Tag("grass", 0.5)]),
    )
    assert result.wrong_claims == ["tag 'Great Danes': great dane", "description: dog"]


def test_wrong_words_match_whole_words_only_and_not_inside_accepted_phrases() -> None:
    # "hotdog" is not "dog"; "Horseshoe" is not "horse".
    assert (
        score(COWS, Result("Cattle near a hotdog stand.", [Tag("Horseshoe", 0.5)])).wrong_claims
        == []
    )
    # "car park" is accepted on a sign photo, so it names no car; a bare "car" does.
    assert score(SIGN, Result("A sign to the car park.", [Tag("car park", 0.6)])).wrong_claims == []
    assert score(SIGN, Result("A car by a sign.", [])).wrong_claims == ["description: car"]


def test_text_read_from_the_photo_is_not_a_claim() -> None:
    result = score(
        SIGN,
        Result("A street sign reading 'Car Parks', in Leuven.", [Tag("car", 0.9, "ocr")]),
    )
    assert result.wrong_claims == []
    assert unquoted("A sign reading “No cars”.") == "A sign reading  ."


def test_singular_plural_and_irregular_forms_compare_equal() -> None:
    assert [singular(w) for w in ("dogs", "ponies", "leaves", "people", "boxes")] == [
        "dog",
        "pony",
        "leaf",
        "person",
        "box",
    ]
    assert [singular(w) for w in ("grass", "bus", "glass", "cactus")] == [
        "grass",
        "bus",
        "glass",
        "cactus",
    ]


def test_totals_add_up_right_wrong_and_relevant() -> None:
    good = score(
        COWS,
        Result(
            "Cattle.",
            [Tag(n, 0.9) for n in ("cow", "cattle", "animal", "grass", "meadow", "sky")],
        ),
    )
    bad = score(LEAF, Result("An insect.", [Tag("insect", 0.6)]))
    summary = totals([good, bad])
    assert (summary.photos, summary.right, summary.wrong_photos, summary.wrong_claims) == (
        2,
        1,
        1,
        2,
    )
    assert summary.mean_relevant == 3.0
    assert summary.many_relevant == 1
    assert summary.right_pct == 50.0


def test_the_evaluation_set_is_complete_and_labelled() -> None:
    tune, holdout, holdout2 = photo_set("tune"), photo_set("holdout"), photo_set("holdout2")
    holdout3, holdout4 = photo_set("holdout3"), photo_set("holdout4")
    holdout5 = photo_set("holdout5")
    assert len(tune) >= 60 and len(holdout) >= 25 and len(holdout2) >= 25
    assert len(holdout3) >= 40 and len(holdout4) >= 40 and len(holdout5) >= 40
    sets = (tune, holdout, holdout2, holdout3, holdout4, holdout5)
    names = [{p.name for _, p, _ in s} for s in sets]
    assert len(set.union(*names)) == sum(len(n) for n in names)  # no photo in two sets
    # Same mix of kinds in the first two sets (the second held-out set has no people).
    assert {labels.category for *_, labels in tune} == {labels.category for *_, labels in holdout}
    for _, path, labels in tune + holdout + holdout2 + holdout3 + holdout4 + holdout5:
        assert labels.accept and labels.wrong, labels.file
        assert not set(labels.accept) & set(labels.wrong), labels.file
        with Image.open(path) as image:
            assert max(image.size) <= 1024, labels.file
    everything = tune + holdout + holdout2 + holdout3 + holdout4 + holdout5
    assert sum(p.name.startswith("skimage-") for _, p, _ in everything) <= 5


def test_each_tag_gets_a_measured_precision() -> None:
    cows = score(COWS, Result("Cattle.", [Tag("cattle", 0.9), Tag("dog", 0.5), Tag("leaf", 0.4)]))
    leaf = score(LEAF, Result("A leaf.", [Tag("leaf", 0.9), Tag("dog", 0.4)]))
    table = {row.name: (row.said, row.accepted, row.wrong) for row in tag_precision([cows, leaf])}
    assert table["cattle"] == (1, 1, 0)
    assert table["dog"] == (2, 0, 1)  # wrong for the cows, neither for the leaf
    assert table["leaf"] == (2, 1, 0)
    rows = tag_precision([cows, leaf])
    assert [r.name for r in rows] == ["dog", "leaf", "cattle"]  # most said first
    assert rows[1].precision == 0.5


def test_one_claim_per_wrong_subject_however_many_spellings_name_it() -> None:
    apple = Labels("apple.jpg", "food", ("apple", "fruit"), ("person", "people", "portrait"))
    result = score(
        apple,
        Result(
            "A portrait of a person with an apple.",
            [Tag("apple", 0.8), Tag("person", 0.6, "faces")],
        ),
    )
    assert result.wrong_claims == [
        "tag 'person': person",
        "description: person",
        "description: portrait",
    ]
