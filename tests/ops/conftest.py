from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from photos.models import MediaItem, Photo, ProcessingStatus


@pytest.fixture
def make_item(album) -> Callable[..., MediaItem]:
    """A row without a real file, for tests that only count or read states."""
    counter = iter(range(1, 10_000))

    def make(
        status: str = ProcessingStatus.PENDING,
        *,
        model: type[MediaItem] = Photo,
        uploaded_ago=None,
        **fields,
    ) -> MediaItem:
        n = next(counter)
        uploaded_at = timezone.now() - uploaded_ago if uploaded_ago else timezone.now()
        return model.objects.create(
            album=album,
            uploader=album.owner,
            original=f"originals/test/missing-{n}.jpg",
            original_filename=f"item-{n}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            processing_status=status,
            uploaded_at=uploaded_at,
            **fields,
        )

    return make


# --- a real worker (the pipeline's helpers: one way to start one) -------------------------


@pytest.fixture(scope="module")
def worker_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ops-worker")


@pytest.fixture(scope="module")
def worker_media(worker_dir):
    media = worker_dir / "media"
    media.mkdir()
    return media


@pytest.fixture(scope="module")
def ops_worker(django_db_setup, worker_dir, worker_media):
    """A `celery worker` subprocess on the test database and the module's MEDIA_ROOT."""
    from tests.pipeline.conftest import redis_flush, worker_start

    redis_flush()
    process = worker_start(worker_media, worker_dir, concurrency=1)
    yield process
    process.stop()


@pytest.fixture
def shared_media(worker_media, settings):
    """Use in worker tests: the test writes media where the worker reads it."""
    settings.MEDIA_ROOT = worker_media
    return worker_media
