from __future__ import annotations

from collections.abc import Callable

import pytest

from ai_engine import Analysis
from ai_engine.types import Place, ScoredTag
from photos.models import Album, MediaItem, Photo
from photos.services import processing
from photos.services.search_index import item_search_index_update


def analysis(description: str = "", tags: dict[str, float] | None = None, **facts) -> Analysis:
    scored = [ScoredTag(name, score, "classifier") for name, score in (tags or {}).items()]
    return Analysis(description=description, tags=scored, **facts)


def process_with(monkeypatch, item: MediaItem, result: Analysis) -> processing.Outcome:
    """Run the real processing service on the item, with the engine's answer fixed."""
    monkeypatch.setattr(processing, "item_analyze", lambda *args, **kwargs: result)
    type(item).objects.filter(pk=item.pk).update(processing_status="pending")
    return processing.item_process(kind=item.kind, item_id=item.pk, final_try=True)


@pytest.fixture
def make_item(db) -> Callable[..., MediaItem]:
    """A row without a real file (search reads rows only), indexed like an upload is."""
    counter = iter(range(1, 10_000))

    def make(album: Album, *, model: type[MediaItem] = Photo, **fields) -> MediaItem:
        n = next(counter)
        fields.setdefault("original_filename", f"item-{n}.jpg")
        item = model.objects.create(
            album=album,
            uploader=album.owner,
            original=f"originals/test/missing-{n}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            **fields,
        )
        item_search_index_update(item)
        return item

    return make


@pytest.fixture
def processed(monkeypatch, make_item) -> Callable[..., MediaItem]:
    """An item processed by the processing service with the given engine answer."""

    def make(album: Album, result: Analysis, **fields) -> MediaItem:
        item = make_item(album, **fields)
        assert process_with(monkeypatch, item, result) == processing.Outcome.COMPLETED
        item.refresh_from_db()
        return item

    return make


CAT = analysis(
    "A tabby cat sitting indoors.", {"cat": 0.91, "pet": 0.8, "animal": 0.7, "orange": 0.3}
)
COFFEE = analysis("A cup of coffee on a saucer.", {"espresso": 0.82, "cup": 0.7, "drink": 0.5})
SIGN = analysis("A street sign.", {"sign": 0.6}, text="OPEN 24 HOURS Bakery Muller", faces=0)
TOWN = analysis(
    "Houses by a river.",
    {"house": 0.6},
    place=Place(city="Heidelberg", admin="Baden-Wuerttemberg", country_code="DE", distance_km=1),
    faces=2,
)
