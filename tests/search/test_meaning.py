"""Meaning search: real photographs processed by a real worker, found by words they lack."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

from photos.models import Album, Photo, ProcessingStatus
from photos.selectors.search import SearchFilters, search_run
from photos.services import processing, vectors
from photos.services.uploads import photo_create
from photos.services.vectors import VectorIndex
from tests.samples import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)  # the worker must see committed rows


@pytest.fixture(autouse=True)
def media_root(shared_media):
    return shared_media  # the worker reads what the test writes


@pytest.fixture(autouse=True)
def fresh_index():
    # Ids come back between tests; an index cached by another test must not answer.
    vectors.index_cache_clear()
    yield
    vectors.index_cache_clear()


def upload(album: Album, sample: str, filename: str) -> Photo:
    data = jpeg_bytes(sample)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=filename, size=len(data)
    )


def test_it_searches_only_the_allowed_rows_and_kinds_of_the_index():
    ids = np.array([3, 5, 9], dtype=np.int64)
    matrix = np.eye(3, 384, dtype=np.float32)
    index = VectorIndex(
        ids,
        matrix,
        album_ids=np.array([1, 2, 1], dtype=np.int64),
        kinds=np.array(["photo", "video", "photo"]),
    )
    query = matrix[2]
    assert list(index.ids_in_albums([1])) == [3, 9]
    assert list(index.ids_in_albums([1, 2], "video")) == [5]
    assert index.search(query, None, 2)[0] == (9, pytest.approx(1.0))
    assert [pk for pk, _ in index.search(query, np.array([3, 5, 7]), 5)] in ([3, 5], [5, 3])
    assert index.search(query, np.array([4]), 5) == []


def test_the_web_side_of_meaning_search_loads_no_model_library():
    code = (
        "import sys, django; django.setup();"
        "import photos.views_search, photos.services.vectors, photos.tasks;"
        "print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "photo_album.settings"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


# First in this module: no worker has started yet.
def test_it_answers_by_words_when_no_worker_runs(make_item, album, client_for, monkeypatch):
    monkeypatch.setattr(vectors, "QUERY_EMBED_TIMEOUT_S", 0.5)
    cat = make_item(album, ai_description="A tabby cat on a rug.")

    result = search_run(user=album.owner, query="cat")

    assert [item.pk for item in result.items] == [cat.pk]
    assert result.meaning_skipped
    page = client_for(album.owner).get(reverse("search"), {"q": "cat"}).content.decode()
    assert f'data-id="{cat.pk}"' in page
    assert 'id="meaning-skipped"' in page


def test_it_finds_the_cat_by_kitty_and_the_motorcycle_by_motorbike(
    module_worker, album, stranger, client_for
):
    from tests.pipeline.conftest import ai_settings_set, wait_until

    ai_settings_set(auto_process_on_upload=True)
    # Neutral file names: only what the AI saw can find them.
    cat = upload(album, "chelsea", "IMG_0001.jpg")
    coffee = upload(album, "coffee", "IMG_0002.jpg")
    motorcycle = upload(album, "motorcycle_left", "IMG_0003.jpg")
    theirs = Album.objects.create(owner=stranger, title="Mine")
    their_cat = upload(theirs, "chelsea", "IMG_0004.jpg")
    ids = [cat.pk, coffee.pk, motorcycle.pk, their_cat.pk]

    def embedded() -> bool:
        done = Photo.objects.filter(
            pk__in=ids, processing_status=ProcessingStatus.COMPLETED, embedding__isnull=False
        )
        return done.count() == len(ids)

    wait_until(embedded, timeout=240, what="processing and embeddings")

    def found(query: str, user=album.owner, **filters) -> list[int]:
        result = search_run(user=user, query=query, filters=SearchFilters(**filters))
        assert not result.meaning_skipped
        return [item.pk for item in result.items]

    texts = {p.pk: p.ai_description for p in Photo.objects.filter(pk__in=ids)}
    assert found("kitty")[:1] == [cat.pk], texts
    assert coffee.pk not in found("kitty"), texts
    assert found("motorbike")[:1] == [motorcycle.pk], texts
    assert their_cat.pk not in found("kitty")
    assert found("kitty", user=stranger) == [their_cat.pk]
    assert found("kitty", kind="video") == []  # filters hold for meaning hits too
    assert found("kitty", status="failed") == []
    assert found("kitty", status="completed")[:1] == [cat.pk]
    assert found("kitty", album_id=theirs.pk) == []

    page = client_for(album.owner).get(reverse("search"), {"q": "kitty"}).content.decode()
    assert f'data-id="{cat.pk}"' in page
    assert 'id="meaning-skipped"' not in page


def test_the_nightly_batch_embeds_its_photos_together_and_they_are_found_by_meaning(
    module_worker, album
):
    from tests.pipeline.conftest import ai_settings_set, wait_until

    ai_settings_set(auto_process_on_upload=False, scheduled_processing_enabled=True)
    cat = upload(album, "chelsea", "IMG_0101.jpg")
    motorcycle = upload(album, "motorcycle_left", "IMG_0102.jpg")
    ids = [cat.pk, motorcycle.pk]

    assert processing.pending_batch_enqueue(kind="photo") == 2

    def embedded() -> bool:
        done = Photo.objects.filter(
            pk__in=ids, processing_status=ProcessingStatus.COMPLETED, embedding__isnull=False
        )
        return done.count() == len(ids)

    wait_until(embedded, timeout=240, what="the batch's processing and embeddings")
    found = search_run(user=album.owner, query="kitty", filters=SearchFilters())
    assert [item.pk for item in found.items][:1] == [cat.pk]


def test_a_group_embeds_once_its_last_member_is_done(make_item, album):
    done = ProcessingStatus.COMPLETED
    cat = make_item(album, ai_description="A tabby cat on a rug.", processing_status=done)
    dog = make_item(album, ai_description="A dog on grass.", processing_status=done)
    busy = make_item(album, processing_status=ProcessingStatus.PROCESSING)
    group = [cat.pk, dog.pk, busy.pk]

    # One member is still being processed: nothing is embedded yet.
    assert vectors.group_embeddings_when_done(group) == 0
    assert Photo.objects.filter(pk__in=group, embedding__isnull=False).count() == 0

    # It failed: the group is done, and its completed members are embedded in one pass.
    Photo.objects.filter(pk=busy.pk).update(processing_status=ProcessingStatus.FAILED)
    assert vectors.group_embeddings_when_done(group) == 2
    vectors_by_id = {
        pk: np.frombuffer(value, dtype=np.float32)
        for pk, value in Photo.objects.filter(pk__in=[cat.pk, dog.pk]).values_list(
            "pk", "embedding"
        )
    }
    assert all(vector.shape == (384,) for vector in vectors_by_id.values())
    assert float(vectors_by_id[cat.pk] @ vectors_by_id[dog.pk]) < 0.9  # each its own text
    assert Photo.objects.get(pk=busy.pk).embedding is None
    assert vectors.group_embeddings_when_done(group) == 0  # done once
