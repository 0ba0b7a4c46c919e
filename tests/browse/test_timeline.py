"""The timeline: the owner's items by date taken (else uploaded), grouped, paged by keyset."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from photos.models import Album
from photos.selectors.browse import Cursor, timeline_jump_list, timeline_page

pytestmark = pytest.mark.django_db


def grid_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="item-card"[^>]*data-id="(\d+)"', html)]


def test_items_come_newest_taken_first_with_the_upload_date_standing_in(album, row, client_for):
    old = row(album, taken="2019-07-04T10:00")
    # No date taken: its upload date (2023) places it.
    undated = row(album, uploaded="2023-03-02T09:00")
    new = row(album, taken="2024-05-12T14:30", uploaded="2020-01-01T00:00")
    same_day_later = row(album, taken="2024-05-12T18:00")

    html = client_for(album.owner).get("/timeline/").content.decode()

    assert grid_ids(html) == [same_day_later.pk, new.pk, undated.pk, old.pk]
    # Grouped: one section per year, month and day, in that order.
    assert re.findall(r'data-year="(\d+)"', html) == ["2024", "2023", "2019"]
    assert re.findall(r'timeline-month" data-month="([\d-]+)"', html) == [
        "2024-05",
        "2023-03",
        "2019-07",
    ]
    assert re.findall(r'data-day="([\d-]+)"', html) == ["2024-05-12", "2023-03-02", "2019-07-04"]


def test_grouping_nests_days_inside_months_inside_years(album, row):
    row(album, taken="2024-05-12T14:30")
    row(album, taken="2024-05-12T09:30")
    row(album, taken="2024-05-01T09:30")
    row(album, taken="2024-02-01T09:30")

    page = timeline_page(user=album.owner)

    [year] = page.years
    assert year.year == 2024
    assert [m.month.month for m in year.months] == [5, 2]
    assert [(d.day.day, len(d.items)) for d in year.months[0].days] == [(12, 2), (1, 1)]


def test_pages_follow_on_without_gaps_or_repeats_even_on_equal_dates(album, row, owner):
    # Twelve items at the very same instant: only the id breaks the tie.
    items = [row(album, taken="2022-08-01T12:00") for _ in range(12)]
    items += [row(album, taken=f"2021-01-{day:02d}T08:00") for day in range(1, 9)]

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = timeline_page(user=owner, cursor=cursor, size=7)
        seen += [item.pk for y in page.years for m in y.months for d in m.days for item in d.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())

    assert pages == 3
    assert len(seen) == len(set(seen)) == 20
    assert sorted(seen) == sorted(item.pk for item in items)


def test_a_page_costs_the_same_queries_however_deep(album, row, client_for, owner, monkeypatch):
    monkeypatch.setattr("photos.selectors.browse.TIMELINE_PAGE_SIZE", 10)
    for i in range(30):
        row(album, taken=f"2020-01-{1 + i % 28:02d}T{i % 24:02d}:00")
    client = client_for(owner)
    first = client.get("/timeline/")
    older = re.search(r'href="\?after=([\w-]+)"', first.content.decode())
    assert older, "a next-page link"

    with CaptureQueriesContext(connection) as first_queries:
        client.get("/timeline/")
    with CaptureQueriesContext(connection) as deep_queries:
        deep = client.get(f"/timeline/?after={older.group(1)}")

    assert deep.status_code == 200
    assert len(first_queries) == len(deep_queries)
    # Keyset, not OFFSET: the page's query starts where the last one ended.
    assert not any("OFFSET" in q["sql"] for q in deep_queries.captured_queries)


def test_the_jump_list_counts_years_and_months_and_jumps_there(album, row, client_for, owner):
    row(album, taken="2024-05-12T14:30")
    row(album, taken="2024-05-02T14:30")
    row(album, taken="2024-01-02T14:30")
    march = row(album, taken="2019-03-09T10:00")
    row(album, taken="2019-02-09T10:00")

    jump = timeline_jump_list(owner)

    assert [(y.year, y.count) for y in jump] == [(2024, 3), (2019, 2)]
    assert [(m.month.month, m.count) for m in jump[0].months] == [(5, 2), (1, 1)]
    html = client_for(owner).get("/timeline/?month=2019-03").content.decode()
    assert grid_ids(html)[0] == march.pk
    assert 'href="?month=2019-03"' in html


def test_the_timeline_shows_only_the_owners_items(album, row, make_user, client_for):
    row(album, taken="2024-05-12T14:30")
    other = make_user("bob")
    theirs = row(Album.objects.create(owner=other, title="Bob's"), taken="2024-05-12T14:30")

    html = client_for(album.owner).get("/timeline/").content.decode()

    assert theirs.pk not in grid_ids(html)
    assert len(grid_ids(html)) == 1


def test_a_forged_cursor_or_month_shows_the_first_page(album, row, client_for):
    item = row(album, taken="2024-05-12T14:30")
    client = client_for(album.owner)
    for query in ("?after=%%%", "?after=bm90IGEgY3Vyc29y", "?month=2024-13", "?month=x"):
        response = client.get(f"/timeline/{query}")
        assert response.status_code == 200
        assert grid_ids(response.content.decode()) == [item.pk]


def test_the_cached_jump_list_counts_a_new_upload_at_once(album, row, owner):
    row(album, taken="2024-05-12T14:30")
    assert [(y.year, y.count) for y in timeline_jump_list(owner)] == [(2024, 1)]

    row(album, taken="2018-01-01T10:00")

    assert [(y.year, y.count) for y in timeline_jump_list(owner)] == [(2024, 1), (2018, 1)]


def test_staff_see_their_own_library_on_the_timeline(row, make_user, client_for):
    admin = make_user("root", is_staff=True)
    mine = row(Album.objects.create(owner=admin, title="Mine"), taken="2024-05-12T14:30")
    row(Album.objects.create(owner=make_user("bob"), title="Bob's"), taken="2024-05-12T14:30")

    html = client_for(admin).get("/timeline/").content.decode()

    assert grid_ids(html) == [mine.pk]
