"""Word search: what it finds, what it never shows, and its filters."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from photos.models import Album, Photo, ProcessingStatus, Video
from photos.selectors.search import SearchFilters, items_search
from photos.services import vectors
from tests.search.conftest import CAT, COFFEE, SIGN, TOWN

pytestmark = pytest.mark.django_db


def found(user, query: str, **filters) -> set[int]:
    results = items_search(user=user, query=query, filters=SearchFilters(**filters))
    return {item.pk for item in results}


@pytest.fixture
def items(album, processed) -> dict[str, Photo]:
    return {
        "cat": processed(album, CAT, original_filename="chelsea.jpg"),
        "coffee": processed(album, COFFEE, original_filename="IMG_0042.jpg"),
        "sign": processed(album, SIGN),
        "town": processed(album, TOWN),
    }


def test_it_finds_the_cat_by_cat(owner, items):
    assert found(owner, "cat") == {items["cat"].pk}
    assert found(owner, "cats") == {items["cat"].pk}  # stemmed


def test_it_finds_the_coffee_by_coffee_or_espresso(owner, items):
    assert found(owner, "coffee") == {items["coffee"].pk}
    assert found(owner, "espresso") == {items["coffee"].pk}


def test_it_finds_a_photo_by_its_ocr_text(owner, items):
    assert found(owner, "bakery") == {items["sign"].pk}


def test_it_finds_a_photo_by_its_place(owner, items):
    assert found(owner, "Heidelberg") == {items["town"].pk}


def test_it_finds_by_file_name_and_album_title(owner, items):
    assert found(owner, "chelsea") == {items["cat"].pk}
    assert found(owner, "img_0042") == {items["coffee"].pk}
    assert found(owner, "holidays") == {item.pk for item in items.values()}


def test_it_ranks_a_tag_above_a_mention(owner, album, items, processed):
    mention = processed(album, analysis_mentioning_cat())
    ranked = items_search(user=owner, query="cat")
    assert [item.pk for item in ranked] == [items["cat"].pk, mention.pk]


def analysis_mentioning_cat():
    from tests.search.conftest import analysis

    return analysis("A sofa where the cat usually sleeps.", {"sofa": 0.6})


def test_it_never_shows_another_users_items(owner, stranger, staff, items, processed):
    their_album = Album.objects.create(owner=stranger, title="Mallory's")
    theirs = processed(their_album, CAT)
    assert theirs.pk not in found(owner, "cat")
    assert found(stranger, "cat") == {theirs.pk}
    assert found(stranger, "holidays") == set()
    assert found(staff, "cat") == {items["cat"].pk, theirs.pk}


def test_it_filters_by_kind_album_status_faces_and_text(owner, album, items, make_item):
    other = Album.objects.create(owner=owner, title="Work")
    video = make_item(other, model=Video, original_filename="cat-video.mp4")
    assert found(owner, "", kind="video") == {video.pk}
    assert video.pk not in found(owner, "", kind="photo")
    assert found(owner, "", album_id=other.pk) == {video.pk}
    assert found(owner, "", status=ProcessingStatus.PENDING) == {video.pk}
    assert found(owner, "", has_faces=True) == {items["town"].pk}
    assert items["town"].pk not in found(owner, "", has_faces=False)
    assert video.pk in found(owner, "", has_faces=False)
    assert found(owner, "", has_text=True) == {items["sign"].pk}
    assert found(owner, "cat", kind="video") == {video.pk}  # by its file name


def test_it_filters_by_date_taken(owner, album, make_item):
    def taken(day: int) -> Photo:
        return make_item(album, taken_at=timezone.make_aware(datetime(2024, 5, day, 12)))

    early, middle, late = taken(1), taken(10), taken(20)
    assert found(owner, "", taken_from=date(2024, 5, 10), taken_to=date(2024, 5, 10)) == {middle.pk}
    assert found(owner, "", taken_from=date(2024, 5, 2)) == {middle.pk, late.pk}
    assert found(owner, "", taken_to=date(2024, 5, 9)) == {early.pk}


def test_the_search_page_shows_results_as_item_cards(client_for, owner, items):
    response = client_for(owner).get(reverse("search"), {"q": "espresso"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="item-card"' in html
    assert f'data-id="{items["coffee"].pk}"' in html
    assert f'data-id="{items["cat"].pk}"' not in html


def test_the_search_page_filters_by_query_parameters(client_for, owner, items):
    response = client_for(owner).get(reverse("search"), {"q": "", "text": "yes"})
    assert [item.pk for item in response.context["page"].object_list] == [items["sign"].pk]


def test_the_search_page_paginates(client_for, owner, album, make_item, monkeypatch):
    monkeypatch.setattr("photos.selectors.PAGE_SIZE", 2)
    for _ in range(5):
        make_item(album)
    client = client_for(owner)
    first = client.get(reverse("search"), {"q": "holidays"})
    assert first.context["page"].paginator.num_pages == 3
    assert "page=2" in first.content.decode() and "q=holidays" in first.content.decode()
    last = client.get(reverse("search"), {"q": "holidays", "page": 3})
    assert len(last.context["page"].object_list) == 1


def test_search_pages_rank_across_pages_and_count_only_your_matches(
    client_for, owner, stranger, album, processed, monkeypatch
):
    # The page's ids and the total come from one query (photos.selectors.page_of_ranked).
    monkeypatch.setattr("photos.selectors.PAGE_SIZE", 2)
    tagged = processed(album, CAT)  # the oldest, but tagged "cat": the best match
    mentions = [processed(album, analysis_mentioning_cat()) for _ in range(3)]
    processed(Album.objects.create(owner=stranger, title="Mallory's"), CAT)
    client = client_for(owner)

    def shown(page: int | str) -> tuple[int, list[int], str]:
        response = client.get(reverse("search"), {"q": "cat", "page": page})
        page_shown = response.context["page"]
        return page_shown.number, [item.pk for item in page_shown.object_list], response

    number, first, response = shown(1)
    assert 'id="result-count">4 results<' in response.content.decode()
    assert "Page 1 of 2" in response.content.decode()
    newest_first = [item.pk for item in reversed(mentions)]
    assert first == [tagged.pk, newest_first[0]]
    assert shown(2)[:2] == (2, newest_first[1:])
    assert shown(9)[:2] == (2, newest_first[1:])  # past the end: the last page
    assert shown("x")[:2] == (1, first)


def test_every_page_has_the_search_box(client_for, owner, album):
    html = client_for(owner).get(reverse("album-detail", args=[album.pk])).content.decode()
    assert 'role="search"' in html and reverse("search") in html


def test_it_asks_for_a_login(client):
    response = client.get(reverse("search"), {"q": "cat"})
    assert response.status_code == 302


def test_a_renamed_albums_items_are_found_by_the_new_title(owner, album, items):
    from photos.services.albums import album_update

    album_update(album=album, title="Lisbon")
    assert found(owner, "lisbon") == {item.pk for item in items.values()}
    assert found(owner, "holidays") == set()


def unit(axis: int) -> np.ndarray:
    vector = np.zeros(vectors.DIMENSIONS, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def test_meaning_hits_fuse_with_word_hits_in_one_query(owner, album, make_item):
    """Reciprocal rank fusion in SQL: word hits first, those also near in meaning rise,
    meaning-only hits follow nearest first, and photos and videos rank together."""
    query = unit(0)
    near = (unit(0) * 0.8 + unit(1) * 0.6).astype(np.float32)  # cosine 0.8
    nearer = (unit(0) * 0.9 + unit(2) * 0.436).astype(np.float32)
    strong = make_item(album, ai_description="cat cat cat", embedding=unit(5).tobytes())
    weak = make_item(album, ai_description="a cat", model=Video, embedding=nearer.tobytes())
    only_meaning = make_item(album, ai_description="a kitten", embedding=near.tobytes())
    make_item(album, ai_description="a dog", embedding=unit(7).tobytes())
    vectors.index_cache_clear()

    results = items_search(user=owner, query="cat", query_vector=query)

    assert [item.pk for item in results] == [weak.pk, strong.pk, only_meaning.pk]
    assert results.count() == 3
    words_only = items_search(user=owner, query="cat")
    assert [item.pk for item in words_only] == [strong.pk, weak.pk]


def test_the_meaning_index_notices_a_rewritten_embedding_at_once(album, make_item, monkeypatch):
    monkeypatch.setattr(vectors, "KEY_CHECK_INTERVAL_S", 0)
    item = make_item(album, embedding=unit(1).tobytes(), embedding_updated_at=timezone.now())
    vectors.index_cache_clear()
    before = vectors.index_for()
    assert vectors.index_for() is before  # nothing changed: the cached matrix serves

    # What a person's edit does (vectors.items_embedding_update), without loading the model.
    Photo.objects.filter(pk=item.pk).update(
        embedding=unit(2).tobytes(), embedding_updated_at=timezone.now()
    )

    after = vectors.index_for()
    assert after is not before
    assert after.search(unit(2), None, 1) == [(item.pk, pytest.approx(1.0))]
