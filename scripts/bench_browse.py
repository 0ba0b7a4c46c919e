"""Benchmark the timeline, the map and the REST API at 100,000 items (not a test).

    .venv/bin/python scripts/bench_browse.py [--items 100000] [--repeat 30]

Uses its own PostgreSQL database, created and dropped (bench_browse, or
BENCH_DB). Items are rows only (no files): the owner's spread over ten albums,
plus one item in ten belonging to another user (the owner filter has work to
do); seven in ten have a date taken across fifteen years (the rest fall back
to their upload date), four in ten a GPS position; a short description and its
search vector. Every figure goes through the real view with a logged-in client
(session for the pages, a token for the API): median and 95th percentile of
the whole request, rendering included, and the queries each one runs. Then
the timeline's deep-page query plan.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import database_create, database_drop, database_url  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "bench_browse")
WORDS = "cat dog beach mountain castle coffee sunset garden bicycle market river snow".split()
START = datetime(2010, 1, 1, tzinfo=UTC)
SPAN_S = 15 * 365 * 86400


def items_add(*, albums: list, count: int, rng: random.Random, first: int) -> None:
    from photos.models import MediaItem, Photo, Video

    batch = 5000
    for offset in range(0, count, batch):
        rows = []
        for i in range(min(batch, count - offset)):
            number = first + offset + i
            album = albums[number % len(albums)]
            uploaded = START + timedelta(seconds=rng.randrange(SPAN_S))
            taken = uploaded - timedelta(days=rng.randrange(30)) if rng.random() < 0.7 else None
            located = rng.random() < 0.4
            rows.append(
                (Video if number % 4 == 0 else Photo)(
                    album=album,
                    uploader=album.owner,
                    original=f"originals/bench/{number}.jpg",
                    thumbnail=f"thumbnails/bench/{number}.webp",
                    original_filename=f"IMG_{number:06d}.jpg",
                    content_type="image/jpeg",
                    size_bytes=1,
                    checksum_sha256=f"{number:064d}",
                    processing_status="completed",
                    processed_at=uploaded,
                    uploaded_at=uploaded,
                    taken_at=taken,
                    gps_latitude=rng.uniform(-60, 70) if located else None,
                    gps_longitude=rng.uniform(-180, 180) if located else None,
                    ai_description=" ".join(rng.sample(WORDS, 3)),
                )
            )
        MediaItem.objects.bulk_create(rows)


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, p95) in milliseconds, after one warm-up run."""
    run()
    laps = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        laps.append((time.perf_counter() - started) * 1000)
    laps.sort()
    return statistics.median(laps), laps[min(len(laps) - 1, int(len(laps) * 0.95))]


def measure(what: str, client, url: str, repeat: int) -> None:
    from django.db import connection

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: a request resets the query log.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.content)

    def get() -> None:
        client.get(url)

    median, p95 = timed(get, repeat)
    print(
        f"  {what:<44} median {median:8.2f} ms   p95 {p95:8.2f} ms   "
        f"{len(queries):2d} queries  {size / 1024:8.1f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="the owner's items")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="photo_album.settings",
        DATABASE_URL=database_url(DB_NAME),
        HTTPS="false",
        ALLOWED_HOSTS="testserver",
        # The benchmark is one user asking hundreds of times a minute on purpose.
        API_THROTTLE_USER="1000000/minute",
    )
    database_create(DB_NAME)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        database_drop(DB_NAME)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from photos.models import Album, MediaItem
    from photos.selectors.browse import (
        TIMELINE_PAGE_SIZE,
        Cursor,
        timeline_from,
        timeline_items,
        timeline_jump_list_count,
    )
    from photos.services.api_tokens import api_token_create

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    users = get_user_model().objects
    owner = users.create_user("bench", password="-")
    other = users.create_user("other", password="-")
    albums = [Album.objects.create(owner=owner, title=f"Album {n}") for n in range(10)]
    theirs = [Album.objects.create(owner=other, title="Theirs")]

    started = time.perf_counter()
    items_add(albums=albums, count=args.items, rng=rng, first=0)
    items_add(albums=theirs, count=args.items // 10, rng=rng, first=args.items)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE photos_mediaitem SET search_vector = "
            "setweight(to_tsvector('english', ai_description), 'B')"
        )
        cursor.execute("VACUUM ANALYZE photos_mediaitem")
    print(
        f"{args.items:,} items of the owner's and {args.items // 10:,} of another user's "
        f"(inserted in {time.perf_counter() - started:.1f} s); PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )

    page = Client()
    page.force_login(owner)
    _token, key = api_token_create(user=owner, name="bench")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    # A cursor 90% of the way down the owner's library: the deep page.
    deep = timeline_items(owner).values_list("effective_at", "id")[args.items * 9 // 10]
    deep_cursor = Cursor(at=deep[0], item_id=deep[1]).encode()
    oldest_month = timeline_items(owner).values_list("effective_at", flat=True).last()

    print("\nTimeline (/timeline/: 60 items, grouped, with the jump list)")
    measure("first page", page, "/timeline/", args.repeat)
    measure(
        "deep page (90% down, ?after=cursor)", page, f"/timeline/?after={deep_cursor}", args.repeat
    )
    measure(
        "jump to the oldest month (?month=)",
        page,
        f"/timeline/?month={oldest_month:%Y-%m}",
        args.repeat,
    )
    # For scale: the album page renders the same item cards (48 a page).
    measure("album page (48 cards, for comparison)", page, f"/albums/{albums[0].pk}/", args.repeat)
    median, p95 = timed(lambda: timeline_jump_list_count(owner), args.repeat)
    print(
        f"  {'jump list counted (a cache miss), selector':<44} median {median:8.2f} ms   "
        f"p95 {p95:8.2f} ms    1 query"
    )
    print("\nMap")
    measure("/map/ (the page)", page, "/map/", args.repeat)
    measure("/map/markers/ first page (5,000 markers)", page, "/map/markers/", args.repeat)
    total = page.get("/map/markers/").json()
    pages, after, started = 1, total["next_after"], time.perf_counter()
    while after:
        after = page.get(f"/map/markers/?after={after}").json()["next_after"]
        pages += 1
    print(
        f"  all markers: {pages} pages in {(time.perf_counter() - started) * 1000:.0f} ms "
        "(the browser fetches them one after another)"
    )
    print("\nREST API (token; 50 items a page, with their tags)")
    measure("GET /api/items/ first page", api, "/api/items/", args.repeat)
    # A cursor 90% down, as DRF's CursorPagination writes it (base64 of "p=<position>").
    position = MediaItem.objects.filter(album__owner=owner).order_by("-uploaded_at", "-id")
    position = position.values_list("uploaded_at", flat=True)[args.items * 9 // 10]
    deep_api = base64.b64encode(urlencode({"p": str(position)}).encode()).decode()
    measure(
        "GET /api/items/?cursor= (90% down)",
        api,
        f"/api/items/?{urlencode({'cursor': deep_api})}",
        args.repeat,
    )
    measure("GET /api/albums/", api, "/api/albums/", args.repeat)
    measure(
        "GET /api/search/?q=cat&meaning=false", api, "/api/search/?q=cat&meaning=false", args.repeat
    )
    measure(
        "GET /api/search/?q=cat+beach&meaning=false",
        api,
        "/api/search/?q=cat+beach&meaning=false",
        args.repeat,
    )
    measure(
        "GET /api/search/?kind=video&meaning=false",
        api,
        "/api/search/?kind=video&meaning=false",
        args.repeat,
    )

    print("\nEXPLAIN (ANALYZE) the timeline's deep page:")
    cursor = Cursor.decode(deep_cursor)
    query = timeline_from(user=owner, cursor=cursor)[: TIMELINE_PAGE_SIZE + 1]
    for text in query.explain(analyze=True).splitlines():
        print("    " + text)
    print("\nEXPLAIN (ANALYZE) the jump list's count:")
    jump = timeline_items(owner).order_by()
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from photos.selectors.browse import EFFECTIVE_AT

    jump = jump.annotate(month=TruncMonth(EFFECTIVE_AT)).values("month").annotate(n=Count("*"))
    for text in jump.explain(analyze=True).splitlines():
        print("    " + text)


if __name__ == "__main__":
    main()
