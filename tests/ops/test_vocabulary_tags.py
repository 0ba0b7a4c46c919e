"""The vocabulary in the database drives the next reprocess: tiny random models of the
real architectures, the real processing service, PostgreSQL; no worker needed (the item
is processed in this process, as the `process_pending` command does)."""

from __future__ import annotations

import io

import pytest

from photos.models import Concept, ItemTag, Photo, ProcessingStatus, TagSource
from photos.services.ai_settings import ai_settings_get
from photos.services.item_edits import item_tag_add, item_tag_remove
from photos.services.processing import Outcome, item_process
from photos.services.uploads import photo_create
from photos.services.vocabulary import concept_save
from tests.engine.tiny_models import save_tiny_florence2, save_tiny_siglip
from tests.samples import exif_with_gps, jpeg_bytes

pytest.importorskip("transformers")
pytestmark = pytest.mark.django_db

# The tiny model's random weights score every text near 0.5 (see tests/engine).
SURE, NEVER = 0.01, 0.99


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_tiny_siglip(root / "image-text")
    save_tiny_florence2(root / "captioner")
    return root


@pytest.fixture
def transformers_backend(model_dir, queue_sends):
    row = ai_settings_get()
    row.backend, row.model_dir, row.min_confidence, row.max_tags = (
        "transformers",
        str(model_dir),
        0.0,
        50,
    )
    row.auto_process_on_upload = False
    row.save()
    Concept.objects.all().delete()
    Concept.objects.create(name="cat", threshold=SURE, synonyms=["kitten"], parents=["animal"])
    Concept.objects.create(name="animal", threshold=SURE)
    Concept.objects.create(name="sofa", threshold=NEVER)
    Concept.objects.create(name="person", threshold=SURE, needs="face")
    return row


def upload(album, name: str = "chelsea", exif=None) -> Photo:
    data = jpeg_bytes(name, exif=exif)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=f"{name}.jpg",
        size=len(data),
    )  # fmt: skip


def process(photo: Photo) -> dict[str, str]:
    """Back to pending and processed again; the item's tags as {name: source}."""
    Photo.objects.filter(pk=photo.pk).update(processing_status=ProcessingStatus.PENDING)
    assert item_process(kind="photo", item_id=photo.pk) == Outcome.COMPLETED
    return dict(ItemTag.objects.filter(item_id=photo.pk).values_list("tag__name", "source"))


def test_tags_come_from_the_vocabulary_with_the_facts(transformers_backend, album):
    photo = upload(album, exif=exif_with_gps(latitude=48.8566, longitude=2.3522))
    tags = process(photo)
    assert {"cat", "animal", "Paris", "France"} <= set(tags)
    assert "sofa" not in tags
    assert "person" not in tags  # no face in a cat photo, however the model scored it
    photo.refresh_from_db()
    assert photo.ai_analysis["backend"] == "transformers"
    assert photo.ai_description.endswith(", in Paris, France, May 2024.")


def test_a_vocabulary_edit_changes_the_next_reprocess(transformers_backend, album):
    photo = upload(album)
    assert "sofa" not in process(photo)

    sofa = Concept.objects.get(name="sofa")
    concept_save(concept=sofa, values={"threshold": SURE})  # lowered
    concept_save(concept=None, values={"name": "blanket", "threshold": SURE})  # added
    concept_save(concept=Concept.objects.get(name="cat"), values={"enabled": False})

    tags = process(photo)
    assert {"sofa", "blanket"} <= set(tags)
    assert "cat" not in tags  # disabled; "animal" stays, a concept of its own


def test_person_edits_still_win_on_reprocess(transformers_backend, album):
    photo = upload(album)
    process(photo)
    item_tag_remove(item=photo, name="cat")
    item_tag_add(item=photo, name="whiskers")
    concept_save(concept=Concept.objects.get(name="cat"), values={"threshold": SURE / 2})

    tags = process(photo)
    assert "cat" not in tags  # removed by a person: the AI does not bring it back
    assert tags["whiskers"] == TagSource.PERSON
    assert tags["animal"] == TagSource.AI
