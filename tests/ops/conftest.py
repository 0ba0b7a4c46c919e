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
