"""The transformers backend's loading code, on tiny models the test builds and saves."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ai_engine import Context, EngineSettings, Registry, analyze, analyze_video
from ai_engine.errors import ModelUnavailable
from ai_engine.vocabulary import Concept, Vocabulary, default_vocabulary

from .conftest import gps_exif, jpeg_bytes, make_video
from .tiny_models import save_tiny_blip, save_tiny_clip, save_tiny_florence2, save_tiny_siglip

pytest.importorskip("transformers")

TUNE = Path(__file__).resolve().parents[2] / "ai_engine" / "evalset" / "tune"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_tiny_siglip(root / "image-text")
    save_tiny_florence2(root / "captioner")
    return root


def settings_for(model_dir, **overrides) -> EngineSettings:
    return EngineSettings(backend="transformers", model_dir=str(model_dir), threads=1, **overrides)


def test_it_loads_both_models_from_the_model_dir(model_dir, photo, caplog, no_network):
    registry = Registry()
    settings = settings_for(model_dir, min_confidence=0.0)
    with caplog.at_level(logging.INFO, logger="ai_engine"):
        result = analyze(
            jpeg_bytes(photo("chelsea"), gps_exif(48.8566, 2.3522, "2024:05:12 10:30:00")),
            context=Context(settings=settings, registry=registry),
        )
    assert result.backend == "transformers"
    # Random weights: the words are noise, but they come from the vocabulary, via SigLIP.
    assert [t for t in result.tags if t.source == "image-text"]
    assert {"Paris", "France"} <= set(result.tag_names)
    assert result.description.endswith(", in Paris, France, May 2024.")
    assert {"image-text", "captioner"} <= set(result.timings)
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("Loading AI models...") == 1
    # No GPU here: the backend says so rather than failing.
    assert any("CPU" in m for m in messages)


def test_it_reports_both_models(model_dir, photo):
    reports = {r.name: r for r in Registry().report(settings_for(model_dir), photo("coffee"))}
    for name in ("image-text", "captioner"):
        assert reports[name].ok, reports[name].as_line()
        assert reports[name].path.endswith(name)
        assert reports[name].device == "cpu"
        assert reports[name].sample_s is not None


def test_it_also_takes_blip_as_the_captioner(model_dir, tmp_path, photo):
    (tmp_path / "image-text").symlink_to(model_dir / "image-text", target_is_directory=True)
    save_tiny_blip(tmp_path / "captioner")
    registry = Registry()
    result = analyze(photo("coffee"), context=Context(settings_for(tmp_path), registry=registry))
    assert "captioner" in result.timings
    assert registry.backend(settings_for(tmp_path)).captioner.family == "blip"


def test_it_also_takes_a_clip_model(tmp_path, photo):
    save_tiny_clip(tmp_path / "image-text")
    context = Context(settings=settings_for(tmp_path, min_confidence=0.0), registry=Registry())
    result = analyze(photo("coffee"), context=context)
    assert [t for t in result.tags if t.source == "image-text"]


def test_it_composes_a_description_without_a_captioner(model_dir, tmp_path, photo, ctx):
    tags_only = tmp_path / "models"
    tags_only.mkdir()
    (tags_only / "image-text").symlink_to(model_dir / "image-text", target_is_directory=True)
    context = Context(settings=settings_for(tags_only), registry=Registry())
    result = analyze(photo("coffee"), context=context)
    # The offline engine's sentence from the same facts: nothing the tags alone would guess.
    assert result.description == analyze(photo("coffee"), context=ctx).description


def test_it_analyses_a_video(model_dir, tmp_path, photo):
    video = make_video(tmp_path / "clip.mp4", [photo("chelsea")], 3.0)
    context = Context(settings=settings_for(model_dir), registry=Registry())
    result = analyze_video(str(video), context=context)
    assert result.description.startswith("A 3-second video.")
    assert result.frames_analysed == 3


def test_it_names_the_missing_model(tmp_path, photo):
    context = Context(settings=settings_for(tmp_path), registry=Registry())
    with pytest.raises(ModelUnavailable, match="fetch_ai_models"):
        analyze(photo("coffee"), context=context)
    reports = {r.name: r for r in Registry().report(settings_for(tmp_path))}
    assert not reports["image-text"].present and not reports["image-text"].ok


def test_it_needs_a_model_dir(photo):
    context = Context(settings=EngineSettings(backend="transformers"), registry=Registry())
    with pytest.raises(ModelUnavailable, match="model directory"):
        analyze(photo("coffee"), context=context)


def test_it_keeps_the_vocabulary_embeddings_for_the_next_process(tmp_path, photo):
    import torch

    save_tiny_siglip(tmp_path / "image-text")
    settings = settings_for(tmp_path, min_confidence=0.0)
    analyze(photo("coffee"), context=Context(settings=settings, registry=Registry()))
    (cached,) = (tmp_path / "image-text" / ".text-cache").glob("*.pt")
    # Blank the kept embeddings: a new process (a new registry) that reads them instead of
    # running the text tower again scores every concept the same.
    bank = torch.load(cached)
    torch.save({text: torch.zeros_like(row) for text, row in bank.items()}, cached)
    second = Registry().backend(settings).image_text
    scores = second.scores(photo("coffee"), vocabulary=default_vocabulary())
    assert len({score for _, score in scores}) == 1


# --- tags over the vocabulary, merged with the offline facts ---------------------------

# The tiny model's random weights score every text near 0.5: a threshold of 0.01 is
# always reached and 0.99 never, so each test decides what the model "sees".
SURE, NEVER = 0.01, 0.99
SIGN = TUNE / "opencv-scenetext01.jpg"


def vocabulary_of(*concepts: Concept) -> Vocabulary:
    return Vocabulary(concepts)


EVERYDAY = vocabulary_of(
    Concept("tabby cat", SURE, parents=("cat",)),
    Concept("cat", SURE, synonyms=("kitten",), parents=("animal",)),
    Concept("animal", SURE),
    Concept("zebra", NEVER),
    Concept("bride", SURE, needs="face", parents=("person",)),
    Concept("person", SURE, needs="face"),
    Concept("menu", SURE, needs="text"),
)


@pytest.fixture(scope="module")
def registry_with_models(model_dir):
    """One registry for these tests: the models load once, whatever the vocabulary."""
    registry = Registry()
    registry.model_dir = model_dir  # type: ignore[attr-defined]
    return registry


def tagged(registry, source, vocabulary):
    settings = settings_for(
        registry.model_dir, min_confidence=0.0, max_tags=50, vocabulary=vocabulary
    )
    return analyze(source, context=Context(settings=settings, registry=registry))


def test_tags_come_from_the_vocabulary_and_the_facts(registry_with_models, photo):
    exif = gps_exif(48.8566, 2.3522, "2024:05:12 10:30:00")
    result = tagged(registry_with_models, jpeg_bytes(photo("chelsea"), exif), EVERYDAY)
    by_source = {t.name: t.source for t in result.tags}
    # Reached thresholds, with what they imply; a threshold just reached stores ~0.5+.
    assert {"tabby cat", "cat", "animal"} <= {n for n, s in by_source.items() if s == "image-text"}
    assert all(t.score >= 0.5 for t in result.tags if t.source == "image-text")
    assert "zebra" not in by_source
    # The facts: place from GPS; no ImageNet classifier tags beside the vocabulary.
    assert by_source["Paris"] == "place"
    assert "classifier" not in set(by_source.values())
    # Right or silent: no face in a cat photo, so no person however the model scored it,
    # and no text read, so no menu.
    assert not {"bride", "person", "menu"} & set(by_source)
    assert result.faces == 0


def test_a_face_lets_person_concepts_through(registry_with_models, photo):
    result = tagged(registry_with_models, photo("astronaut"), EVERYDAY)
    assert result.faces == 1
    assert {"bride", "person"} <= set(result.tag_names)


def test_read_text_lets_text_concepts_through(registry_with_models):
    result = tagged(registry_with_models, str(SIGN), EVERYDAY)
    assert "PARKING" in result.text
    assert "menu" in result.tag_names


def test_an_edited_vocabulary_applies_to_the_next_photo_without_reloading(
    registry_with_models, photo, caplog
):
    before = tagged(registry_with_models, photo("coffee"), EVERYDAY)
    assert "zebra" not in before.tag_names
    edited = vocabulary_of(
        *(c for c in EVERYDAY.concepts if c.name != "zebra"),
        Concept("zebra", SURE),  # threshold lowered
        Concept("demitasse", SURE, synonyms=("espresso tamper",)),  # added
    )
    with caplog.at_level(logging.INFO, logger="ai_engine"):
        caplog.clear()
        after = tagged(registry_with_models, photo("coffee"), edited)
    assert {"zebra", "demitasse"} <= set(after.tag_names)
    messages = [r.getMessage() for r in caplog.records]
    assert "Loading AI models..." not in messages
    # Only the new concept's texts were embedded (the rest are kept from before).
    assert "Embedded 2 vocabulary texts" in " ".join(messages)


def test_an_empty_vocabulary_tags_nothing(registry_with_models, photo):
    result = tagged(registry_with_models, photo("chelsea"), vocabulary_of())
    assert not [t for t in result.tags if t.source == "image-text"]
    assert result.description  # the facts still speak


def test_the_default_vocabulary_is_about_a_thousand_concepts_with_thresholds():
    vocabulary = default_vocabulary()
    assert 900 <= len(vocabulary) <= 1100
    assert all(0 < c.threshold < 1 for c in vocabulary.concepts)
    people = {c.name for c in vocabulary.concepts if c.needs == "face"}
    assert {"person", "portrait", "selfie", "bride", "child"} <= people
    names = {c.name for c in vocabulary.concepts}
    # Every broader tag a concept implies is a concept too (so it has a threshold, evidence).
    assert {p for c in vocabulary.concepts for p in c.parents} <= names


# --- captions: the captioner's sentence, checked, completed by the facts ----------------


@pytest.fixture(scope="module")
def captioned(model_dir, tmp_path_factory):
    """Registries whose captioner always writes the given sentence (same image-text model)."""

    def with_caption(caption: str) -> tuple[Registry, EngineSettings]:
        root = tmp_path_factory.mktemp("captioned")
        (root / "image-text").symlink_to(model_dir / "image-text", target_is_directory=True)
        save_tiny_florence2(root / "captioner", caption=caption)
        return Registry(), settings_for(root, vocabulary=EVERYDAY)

    return with_caption


def test_a_person_nobody_saw_is_cut_and_the_facts_complete_the_sentence(captioned, photo):
    registry, settings = captioned("a man on a street")
    context = Context(settings=settings, registry=registry)
    paris = gps_exif(48.8566, 2.3522, "2024:05:12 10:30:00")

    cat = analyze(jpeg_bytes(photo("chelsea"), paris), context=context)
    # No face: "a man" goes, and with it the whole sentence; the facts speak instead.
    assert "man" not in cat.description.lower()
    assert cat.description.endswith(", in Paris, France, May 2024.")

    astronaut = analyze(jpeg_bytes(photo("astronaut"), paris), context=context)
    assert astronaut.faces == 1
    assert astronaut.description == "A man on a street, in Paris, France, May 2024."


def test_read_text_is_quoted_after_the_captioners_sentence(captioned):
    registry, settings = captioned("a dog on a street")
    result = analyze(str(SIGN), context=Context(settings=settings, registry=registry))
    # The sentence, the photo's date from EXIF, then the text the offline OCR read.
    assert result.description == (
        "A dog on a street, August 2004. Text: 'NOTICE DOUBLE PARKING PROHIBITED AT ALL TIMES'."
    )
