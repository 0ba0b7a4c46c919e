"""Album and tag pages come in pages: the first one costs the same queries for 3 items or 500."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from photos.models import Album, ItemTag, MediaItem, Photo, Tag, Video
from photos.selectors import PAGE_SIZE

# Session, user, album, count, page rows: well under this whatever the album holds.
MAX_QUERIES = 8


def fill(album: Album, count: int) -> list[MediaItem]:
    """`count` rows, every third a video, the last one the newest."""
    start = timezone.now() - timedelta(hours=1)
    items = [
        (Video if n % 3 == 0 else Photo)(
            album=album,
            uploader=album.owner,
            original=f"originals/test/{n}.jpg",
            original_filename=f"item-{n:04d}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            uploaded_at=start + timedelta(seconds=n),
        )
        for n in range(count)
    ]
    return MediaItem.objects.bulk_create(items)


def card_ids(response) -> list[int]:
    return [item.pk for item in response.context["page"].object_list]


def first_page_queries(client, album: Album) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("album-detail", args=[album.pk])).status_code == 200
    return len(queries)


def test_an_album_s_first_page_costs_the_same_queries_at_any_size(
    owner_client, album, owner, django_assert_max_num_queries
):
    fill(album, 3)
    big = Album.objects.create(owner=owner, title="Everything")
    fill(big, 500)

    small_cost = first_page_queries(owner_client, album)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = owner_client.get(reverse("album-detail", args=[big.pk]))

    assert first_page_queries(owner_client, big) == small_cost
    assert len(card_ids(response)) == PAGE_SIZE
    assert 'rel="next"' in response.content.decode()


def test_album_pages_run_newest_first_without_gaps_or_repeats(owner_client, album):
    items = fill(album, PAGE_SIZE + 5)
    newest_first = [item.pk for item in reversed(items)]
    url = reverse("album-detail", args=[album.pk])

    first = owner_client.get(url)
    second = owner_client.get(url, {"page": 2})

    assert card_ids(first) + card_ids(second) == newest_first
    assert f'data-kind="video" data-id="{items[0].pk}"' in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_a_tag_page_is_paged_too(owner_client, album, django_assert_max_num_queries):
    items = fill(album, PAGE_SIZE + 2)
    tag = Tag.objects.create(name="cat")
    ItemTag.objects.bulk_create([ItemTag(item=item, tag=tag) for item in items])

    with django_assert_max_num_queries(MAX_QUERIES):
        first = owner_client.get(reverse("tag-detail", args=["cat"]))
    last = owner_client.get(reverse("tag-detail", args=["cat"]), {"page": 2})

    assert len(card_ids(first)) == PAGE_SIZE
    assert card_ids(last) == [items[1].pk, items[0].pk]
    assert f"{PAGE_SIZE + 2} items" in first.content.decode()
