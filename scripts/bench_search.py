"""Benchmark search and the album page (not a test): what a page of results costs.

    .venv/bin/python scripts/bench_search.py [--sizes 10000 100000] [--queries 50]

Uses its own PostgreSQL database, created and dropped (bench_search, or
BENCH_DB). Items are rows only (no files), one in four a video: descriptions
drawn from a small vocabulary, embeddings of a few hundred distinct texts
(computed once with the real model, plus a little noise so no two rows are
equal), search vectors filled by one UPDATE. Prints median and 95th percentile
latencies of the search page's first page (its rows and its count) for word
search and word + meaning search, the album page's first page at 10,000 items
(queries and time, through the real view), and the word search's query plan.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import database_create, database_drop, database_url  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "bench_search")

SUBJECTS = (
    "cat dog horse bird cow sheep duck goat rabbit fish motorcycle bicycle car bus train boat "
    "plane rocket truck tractor beach mountain lake river forest garden field desert snow "
    "waterfall bridge castle church tower market street house kitchen table chair sofa "
    "coffee tea pizza bread cake fruit salad wine flower tree sunset sky cloud moon"
).split()
PLACES = "indoors outdoors by the sea in the city in the park at night in the rain".split(" in ")
COLOURS = "red orange yellow green blue purple brown black white grey".split()
WORD_QUERIES = ("cat", "beach", "motorcycle", "coffee", "sunset", "castle", "dog", "garden")
MEANING_QUERIES = (
    "kitty",
    "seaside holiday",
    "motorbike",
    "espresso",
    "dusk",
    "old fortress",
    "puppy",
    "flowers in bloom",
)


def texts_make(rng: random.Random, count: int) -> list[str]:
    texts = set()
    while len(texts) < count:
        subject, other = rng.sample(SUBJECTS, 2)
        colour = rng.choice(COLOURS)
        place = rng.choice(PLACES).strip()
        texts.add(f"A {colour} {subject} {place}, a {other} behind. {subject}, {other}, {colour}")
    return sorted(texts)


def items_add(*, album, count: int, texts: list[str], vectors, rng: random.Random) -> None:
    import numpy as np
    from django.utils import timezone

    from photos.models import MediaItem, Photo, Video

    noise = np.random.default_rng(rng.randrange(2**32))
    start = MediaItem.objects.count()
    batch = 5000
    for offset in range(0, count, batch):
        rows = []
        n = min(batch, count - offset)
        choice = noise.integers(0, len(texts), n)
        embedded = vectors[choice] + noise.normal(0, 0.02, (n, vectors.shape[1]))
        embedded /= np.linalg.norm(embedded, axis=1, keepdims=True)
        embedded = embedded.astype(np.float32)
        now = timezone.now()
        for i in range(n):
            number = start + offset + i
            rows.append(
                (Video if number % 4 == 0 else Photo)(
                    album=album,
                    uploader=album.owner,
                    original=f"originals/bench/{number}.jpg",
                    original_filename=f"IMG_{number:06d}.jpg",
                    content_type="image/jpeg",
                    size_bytes=1,
                    checksum_sha256=f"{number:064d}",
                    processing_status="completed",
                    processed_at=now,
                    ai_description=texts[choice[i]],
                    embedding=embedded[i].tobytes(),
                    embedding_updated_at=now,
                )
            )
        MediaItem.objects.bulk_create(rows)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE photos_mediaitem SET search_vector = setweight("
            "to_tsvector('english', ai_description), 'B') WHERE search_vector IS NULL"
        )
        cursor.execute("ANALYZE photos_mediaitem")


ALBUM_SIZE = 10_000


def album_of(owner, size: int, texts: list[str], text_vectors, rng: random.Random):
    """An album of `size` items of the owner's."""
    from photos.models import Album

    album = Album.objects.create(owner=owner, title="Ten thousand")
    items_add(album=album, count=size, texts=texts, vectors=text_vectors, rng=rng)
    return album


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    laps = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        laps.append((time.perf_counter() - started) * 1000)
    laps.sort()
    return statistics.median(laps), laps[min(len(laps) - 1, int(len(laps) * 0.95))]


def line(what: str, figures: tuple[float, float]) -> None:
    print(f"  {what:<52} median {figures[0]:8.2f} ms   p95 {figures[1]:8.2f} ms")


def first_page(items) -> None:
    """What the search page reads: one page of rows and the total for the pager."""
    from photos.selectors import page_of

    page = page_of(items, 1)
    list(page.object_list)
    _ = page.paginator.count


def measure(owner, queries: int, query_vectors: dict) -> float:
    from photos.models import Album
    from photos.selectors import items_visible_to
    from photos.selectors.search import items_search
    from photos.services import vectors

    words = iter([WORD_QUERIES[i % len(WORD_QUERIES)] for i in range(10 * queries)])
    line(
        "word search, first page + count (search page)",
        timed(lambda: first_page(items_search(user=owner, query=next(words))), queries),
    )

    started = time.perf_counter()
    index = vectors.index_for()
    built = time.perf_counter() - started
    print(f"  meaning index build (read {len(index)} vectors): {built:.2f} s")
    line(
        "meaning: cache key check (two index probes)",
        timed(lambda: vectors.index_key(), queries),
    )
    visible = items_visible_to(owner)
    line(
        "meaning: visible ids (owner filter) from the database",
        timed(lambda: list(visible.values_list("pk", flat=True)), queries),
    )
    albums = list(Album.objects.filter(owner=owner).values_list("pk", flat=True))
    line(
        "meaning: owner filter on the index's id array (used)",
        timed(lambda: index.ids_in_albums(albums), queries),
    )
    allowed = index.ids_in_albums(albums)
    vecs = iter(
        [query_vectors[MEANING_QUERIES[i % len(MEANING_QUERIES)]] for i in range(10 * queries)]
    )
    matrix_all = timed(lambda: index.search(next(vecs), None, vectors.MEANING_LIMIT), queries)
    line("meaning: matrix search, all rows, top 200", matrix_all)
    vecs = iter(
        [query_vectors[MEANING_QUERIES[i % len(MEANING_QUERIES)]] for i in range(10 * queries)]
    )
    line(
        "meaning: matrix search, restricted to allowed ids",
        timed(lambda: index.search(next(vecs), allowed, vectors.MEANING_LIMIT), queries),
    )
    vecs = iter(
        [query_vectors[MEANING_QUERIES[i % len(MEANING_QUERIES)]] for i in range(10 * queries)]
    )
    texts = iter([MEANING_QUERIES[i % len(MEANING_QUERIES)] for i in range(10 * queries)])
    line(
        "word + meaning, first page + count (vector given)",
        timed(
            lambda: first_page(
                items_search(user=owner, query=next(texts), query_vector=next(vecs))
            ),
            queries,
        ),
    )
    return matrix_all[0]


def album_page(owner, album, queries: int) -> None:
    """The album page's first page through the real view: its queries and its time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(owner)
    url = reverse("album-detail", args=[album.pk])

    def get() -> None:
        assert client.get(url).status_code == 200

    with CaptureQueriesContext(connection) as captured:
        get()
    print(f"\nAlbum page, first page of an album of {album.items.count():,} items")
    print(f"  {len(captured)} queries (session and user included)")
    line("album page, first page (whole view, rendered)", timed(get, queries))


def plan(owner) -> None:
    from photos.selectors import items_visible_to
    from photos.selectors.search import ranked

    query = ranked(items_visible_to(owner), "motorcycle", [])[:48]
    print("  EXPLAIN (ANALYZE) first page of word search for 'motorcycle':")
    for text in query.explain(analyze=True).splitlines():
        print("    " + text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the database for a look after")
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="photo_album.settings",
        DATABASE_URL=database_url(DB_NAME),
        HTTPS="false",
        ALLOWED_HOSTS="testserver",
    )
    database_create(DB_NAME)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(DB_NAME)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from ai_engine.embeddings import embed_texts
    from photos.models import Album

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    owner = get_user_model().objects.create_user("bench", password="-")
    other = get_user_model().objects.create_user("other", password="-")
    album = Album.objects.create(owner=owner, title="Bench")
    other_album = Album.objects.create(owner=other, title="Theirs")

    started = time.perf_counter()
    texts = texts_make(rng, args.texts)
    text_vectors = embed_texts(texts)
    print(
        f"Embedded {len(texts)} distinct texts in {time.perf_counter() - started:.1f} s "
        "(model load included)"
    )
    embed_time = timed(lambda: embed_texts([rng.choice(MEANING_QUERIES)]), args.queries)
    line("embed one query in-process (warm model)", embed_time)
    query_vectors = {q: embed_texts([q])[0] for q in MEANING_QUERIES}

    # The owner's 10,000-item album first; its items count in the sizes below.
    album_page(owner, album_of(owner, ALBUM_SIZE, texts, text_vectors, rng), args.queries)
    have = ALBUM_SIZE
    per_100k = []
    for size in args.sizes:
        started = time.perf_counter()
        # One item in ten belongs to another user: the owner filter has work to do.
        mine = (size - have) * 9 // 10
        items_add(album=album, count=mine, texts=texts, vectors=text_vectors, rng=rng)
        items_add(
            album=other_album, count=size - have - mine, texts=texts, vectors=text_vectors, rng=rng
        )
        have = size
        print(f"\n{size:,} items (inserted in {time.perf_counter() - started:.1f} s)")
        matrix_ms = measure(owner, args.queries, query_vectors)
        per_100k.append(matrix_ms / size * 100_000)
        plan(owner)

    ms = statistics.median(per_100k)
    print(f"\nExact matrix search: ~{ms:.1f} ms per 100k vectors (384-d float32, one query).")
    for budget in (20, 50):
        print(
            f"  within {budget} ms a query: up to ~{budget / ms * 100_000:,.0f} vectors; "
            "beyond that the approximate index pays off (SEARCH_ANN_MIN_VECTORS; "
            "scripts/bench_vectors.py)."
        )
    print(f"  memory: {384 * 4 * 100_000 / 2**20:.0f} MiB per 100k vectors, per web process.")


if __name__ == "__main__":
    main()
