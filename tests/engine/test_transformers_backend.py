"""The transformers backend's loading code, on tiny models the test builds and saves."""

from __future__ import annotations

import logging

import pytest

from ai_engine import Context, EngineSettings, Registry, analyze, analyze_video
from ai_engine.errors import ModelUnavailable

from .conftest import gps_exif, jpeg_bytes, make_video
from .tiny_models import save_tiny_blip, save_tiny_clip, save_tiny_florence2, save_tiny_siglip

pytest.importorskip("transformers")


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
    assert {"Paris", "FR"} <= set(result.tag_names)
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


def test_it_composes_a_description_without_a_captioner(model_dir, tmp_path, photo):
    tags_only = tmp_path / "models"
    tags_only.mkdir()
    (tags_only / "image-text").symlink_to(model_dir / "image-text", target_is_directory=True)
    context = Context(settings=settings_for(tags_only), registry=Registry())
    result = analyze(photo("coffee"), context=context)
    assert result.description.startswith("A photo")


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
    # running the text tower again scores every word the same.
    torch.save(torch.zeros_like(torch.load(cached)), cached)
    second = analyze(photo("coffee"), context=Context(settings=settings, registry=Registry()))
    scores = {t.score for t in second.tags if t.source == "image-text"}
    assert len(scores) == 1
