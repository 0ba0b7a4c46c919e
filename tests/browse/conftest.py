from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from photos.models import Album, MediaItem, Photo


@pytest.fixture
def row(db) -> Callable[..., MediaItem]:
    """An item row without a file: the timeline and the map read rows only."""
    counter = iter(range(1, 100_000))

    def make(album: Album, *, taken: str | None = None, uploaded: str = "2025-01-01T12:00", **kw):
        n = next(counter)
        return Photo.objects.create(
            album=album,
            uploader=album.owner,
            original=f"originals/test/missing-{n}.jpg",
            original_filename=f"item-{n}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            taken_at=aware(taken) if taken else None,
            uploaded_at=aware(uploaded),
            **kw,
        )

    return make


def aware(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The jump list is cached per user: one test's answer must not leak into the next.
    cache.clear()
    yield
    cache.clear()
