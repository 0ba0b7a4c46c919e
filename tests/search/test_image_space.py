"""Image-space search end to end: a real worker places photos in a (tiny, random) SigLIP's
space while it processes them; a text query, embedded by the worker's text tower, finds
them by a word no description, tag or file name holds; the relevance floor, from the
model's own sigmoid, keeps out the photo the model finds unlikely; a model change is
noticed by the sweep and the photos are placed again."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from ai_engine import EngineSettings, Registry, image_space
from ai_engine.media import prepare
from photos.models import Album, Photo, ProcessingStatus
from photos.selectors.search import items_search, search_run
from photos.services import vectors
from photos.services.uploads import photo_create
from tests.engine.tiny_models import save_tiny_siglip
from tests.samples import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)  # the worker must see committed rows

# A word in no description, tag or file name (the tiny tokenizer reads it as <unk>):
# only image space can answer it.
QUERY = "qwzx"
SAMPLES = ("chelsea", "coffee")


@pytest.fixture(autouse=True)
def media_root(shared_media):
    return shared_media


@pytest.fixture(autouse=True)
def fresh_index():
    vectors.index_cache_clear()
    yield
    vectors.index_cache_clear()


def engine(model_dir: Path) -> EngineSettings:
    return EngineSettings(backend="transformers", model_dir=str(model_dir), threads=1)


def reference(model_dir: Path) -> tuple[dict[str, np.ndarray], image_space.QueryVector]:
    """Each sample's vector and the query's, computed here with the engine, not the worker."""
    settings, registry = engine(model_dir), Registry()
    images = {
        name: image_space.embed_images([prepare(jpeg_bytes(name)).image], settings, registry)
        for name in SAMPLES
    }
    query = image_space.embed_query(QUERY, settings, registry)
    assert query is not None and all(images.values())
    return {name: found[0] for name, found in images.items() if found}, query


def floor_between(model_dir: Path, low: float, high: float) -> None:
    """Set the model's sigmoid bias so that its 1 % floor falls between two cosines; the
    towers (and so the cosines) stay as they are."""
    from transformers import SiglipModel

    path = model_dir / "image-text"
    model = SiglipModel.from_pretrained(path)
    scale = float(model.logit_scale.detach().exp())
    logit = math.log(image_space.MIN_PROBABILITY / (1 - image_space.MIN_PROBABILITY))
    model.logit_bias.data.fill_(logit - scale * (low + high) / 2)
    model.save_pretrained(path)


def upload(album: Album, sample: str, filename: str) -> Photo:
    data = jpeg_bytes(sample)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=filename, size=len(data)
    )


def placed(ids: list[int], model: str):
    def check() -> bool:
        done = Photo.objects.filter(
            pk__in=ids, processing_status=ProcessingStatus.COMPLETED, image_embedding_model=model
        ).exclude(embedding=None)
        return done.count() == len(ids)

    return check


def test_a_text_query_finds_photos_in_image_space_above_the_floor(module_worker, album, tmp_path):
    from tests.pipeline.conftest import ai_settings_set, wait_until

    save_tiny_siglip(tmp_path / "image-text")
    images, query = reference(tmp_path)
    cosines = {name: float(vector @ np.asarray(query.vector)) for name, vector in images.items()}
    near, far = sorted(SAMPLES, key=lambda name: -cosines[name])
    assert cosines[near] > cosines[far] + 1e-3, cosines  # random weights: make sure they differ
    floor_between(tmp_path, cosines[far], cosines[near])
    model = image_space.model_id(str(tmp_path / "image-text"))

    ai_settings_set(auto_process_on_upload=True, backend="transformers", model_dir=str(tmp_path))
    photos = {name: upload(album, name, f"IMG_000{i}.jpg") for i, name in enumerate(SAMPLES)}
    ids = [p.pk for p in photos.values()]
    wait_until(placed(ids, model), timeout=180, what="processing into image space")

    for name, photo in photos.items():
        photo.refresh_from_db()
        stored = np.frombuffer(photo.image_embedding, dtype=np.float32)
        assert stored == pytest.approx(images[name], abs=1e-4)  # the image tower's own vector
        assert "image_embedding" not in photo.ai_analysis  # its own column, not the JSON
    assert [p.pk for p in items_search(user=album.owner, query=QUERY)] == []  # words find nothing

    result = search_run(user=album.owner, query=QUERY)

    assert not result.meaning_skipped
    # The near photo passes the model's 1 % floor; the far one, the model thinks unlikely.
    assert [item.pk for item in result.items] == [photos[near].pk]

    # Another model (another revision): the sweep notices, and the worker places them again.
    other = tmp_path / "other"
    save_tiny_siglip(other / "image-text", seed=1)
    other_model = image_space.model_id(str(other / "image-text"))
    assert other_model != model
    ai_settings_set(model_dir=str(other))
    assert vectors.stale_image_embeddings_enqueue() == len(ids)
    wait_until(placed(ids, other_model), timeout=120, what="placing again after a model change")
    assert vectors.stale_image_embeddings_enqueue() == 0
    moved = Photo.objects.get(pk=photos[near].pk)
    assert np.frombuffer(moved.image_embedding, dtype=np.float32) != pytest.approx(
        images[near], abs=1e-4
    )


def test_without_an_image_text_model_meaning_search_is_minilm_over_the_text(module_worker, album):
    from tests.pipeline.conftest import ai_settings_set, wait_until

    ai_settings_set(auto_process_on_upload=True)  # the offline default: no image-text model
    cat = upload(album, "chelsea", "IMG_0010.jpg")

    def embedded() -> bool:
        return Photo.objects.filter(
            pk=cat.pk, processing_status=ProcessingStatus.COMPLETED, embedding__isnull=False
        ).exists()

    wait_until(embedded, timeout=180, what="processing and the text embedding")
    cat.refresh_from_db()
    assert cat.image_embedding is None and cat.image_embedding_model == ""
    assert vectors.stale_image_embeddings_enqueue() == 0  # nothing to place anywhere

    query = vectors.query_embed("kitty")

    assert query is not None and query.image is None  # the worker has no image space
    assert [item.pk for item in search_run(user=album.owner, query="kitty").items] == [cat.pk]
