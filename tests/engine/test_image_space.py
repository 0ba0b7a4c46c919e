"""Image space in the engine: the photo's vector from the tagging pass, a video's from its
frames, the query's from the text tower, the model's id and its relevance floor."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ai_engine import Context, EngineSettings, Registry, analyze, analyze_video, image_space

from .conftest import make_video
from .tiny_models import save_tiny_clip, save_tiny_siglip

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_tiny_siglip(root / "image-text")
    return root


def settings_for(model_dir) -> EngineSettings:
    return EngineSettings(backend="transformers", model_dir=str(model_dir), threads=1)


def test_the_tagging_pass_places_the_photo_in_image_space(model_dir, photo):
    registry = Registry()
    settings = settings_for(model_dir)
    result = analyze(photo("chelsea"), context=Context(settings=settings, registry=registry))

    vector = np.asarray(result.image_embedding)
    assert vector.shape == (32,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert result.image_model == image_space.model_id(str(model_dir / "image-text"))
    # The same vector the re-embedding path computes for the same picture.
    again = image_space.embed_images([photo("chelsea")], settings, registry)
    assert again is not None and again[0] == pytest.approx(vector, abs=1e-5)
    assert "image_embedding" not in result.to_dict()  # stored in its own column


def test_a_video_is_the_mean_of_its_frames(model_dir, tmp_path, photo):
    video = make_video(tmp_path / "clip.mp4", [photo("chelsea"), photo("coffee")], 2.0)
    result = analyze_video(str(video), context=Context(settings_for(model_dir), Registry()))
    assert np.linalg.norm(result.image_embedding) == pytest.approx(1.0, abs=1e-5)
    assert result.image_model == image_space.model_id(str(model_dir / "image-text"))


def test_the_offline_backend_has_no_image_space(photo):
    assert image_space.current_model(EngineSettings()) == ""
    assert image_space.embed_query("cat", EngineSettings()) is None


def test_the_floor_is_the_models_one_percent(model_dir):
    from transformers import SiglipModel

    query = image_space.embed_query("cat", settings_for(model_dir), Registry())
    assert query is not None and len(query.vector) == 32
    model = SiglipModel.from_pretrained(model_dir / "image-text")
    logit = model.logit_scale.exp().item() * query.min_cosine + model.logit_bias.item()
    assert 1 / (1 + math.exp(-logit)) == pytest.approx(image_space.MIN_PROBABILITY)


def test_clip_has_a_plain_cosine_floor(tmp_path):
    save_tiny_clip(tmp_path / "image-text")
    query = image_space.embed_query("cat", settings_for(tmp_path), Registry())
    assert query is not None and query.min_cosine == image_space.CLIP_MIN_COSINE


def test_the_model_id_follows_the_weights_and_prefers_the_pin(tmp_path):
    one = save_tiny_siglip(tmp_path / "one", seed=0)
    two = save_tiny_siglip(tmp_path / "two", seed=1)
    assert image_space.model_id(str(one)) != image_space.model_id(str(two))
    assert image_space.model_id(str(one)) == image_space.model_id(str(one))
    pin = {"repo": "google/siglip2-base-patch16-224", "revision": "abc123"}
    (one / ".pinned.json").write_text(json.dumps(pin))
    assert image_space.model_id(str(one)) == "google/siglip2-base-patch16-224@abc123"
    assert image_space.model_id(str(tmp_path / "none")) == ""
