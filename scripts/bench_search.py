"""Benchmark search and the album page (not a test): what a page of results costs.

    .venv/bin/python scripts/bench_search.py [--sizes 10000 100000] [--queries 50]
        [--no-busy] [--batch-photos 400] [--batch-concurrency N] [--batch-nice 0]

Uses its own PostgreSQL database, created and dropped (bench_search, or
BENCH_DB), and Redis database 13 (BENCH_BROKER_URL). Items are rows only (no
files), one in four a video: descriptions drawn from a small vocabulary,
embeddings of a few hundred distinct texts (computed once with the real model,
plus a little noise so no two rows are equal), search vectors filled by one
UPDATE. Prints median and 95th percentile latencies of the search page's first
page (its rows and its count) for word search and word + meaning search, the
old way (COUNT, then the page) beside the current one (one pass: ids and total
together) timed in turns under the same load, the album page's first page at
10,000 items (queries and time, through the real view), and both query plans.

At the largest size it then starts real workers as the Procfile does: a
processing worker on queue `celery` (--batch-concurrency, by default Celery's
own: one process per core) and the interactive worker, uploads real photos
(scikit-image's, in another user's album) and times the searches again, idle
and then while the batch keeps every processing slot busy; the end-to-end
word + meaning search has the interactive worker embed the query, as the
search page does. About 5 minutes on 2 cores (most of it inserting rows).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import database_create, database_drop, database_url  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "bench_search")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")

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
        # What autovacuum does after such a load: the visibility map set and the GIN
        # index's pending list merged. Without it every search scans the pending list.
        cursor.execute("VACUUM ANALYZE photos_mediaitem")


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


def page_before(items) -> None:
    """The search page's first page as it was read before: Paginator's COUNT over every
    match, then the page's rows (a second pass over the same matches)."""
    from photos.selectors import page_of

    page = page_of(items, 1)
    list(page.object_list)
    _ = page.paginator.count


def page_now(items) -> None:
    """What the search page reads now (SearchResult.page): ids and total in one pass."""
    from photos.selectors import page_of_ranked

    page = page_of_ranked(items, 1)
    list(page.object_list)
    _ = page.paginator.count


def items_before(owner, query: str, query_vector=None):
    """The ranked query as it was: the owner's items by a join on album."""
    from photos.selectors import grid_items, items_visible_to
    from photos.selectors.search import SearchFilters, meaning_matching, ranked

    visible = grid_items(items_visible_to(owner))
    near = []
    if query_vector is not None:
        near = meaning_matching(owner, visible, SearchFilters(), None, query_vector)
    return ranked(visible, query, near)


def timed_in_turns(runs: dict[str, Callable[[int], object]], repeat: int) -> dict:
    """{label: (median, p95)} in milliseconds; each round runs every label once, in
    turn, so that before and after see the same load."""
    laps: dict[str, list[float]] = {label: [] for label in runs}
    for i in range(repeat):
        for label, run in runs.items():
            started = time.perf_counter()
            run(i)
            laps[label].append((time.perf_counter() - started) * 1000)
    return {label: percentiles(values) for label, values in laps.items()}


def percentiles(laps: list[float]) -> tuple[float, float]:
    laps = sorted(laps)
    return statistics.median(laps), laps[min(len(laps) - 1, int(len(laps) * 0.95))]


# Why the search page reads its first page the way it does (printed with the figures).
CHOICE = """\
  Word search now: the page's ids and the exact total in one query (COUNT(*) OVER ()),
  the owner filter as album_id = ANY(ARRAY(...)) so that the word index is read once,
  then the page's rows by id (photos.selectors.page_of_ranked). The cost is the match
  rows' heap pages (about one page per match; see the plans): ranking by ts_rank must
  read them all, so reading them once instead of twice is the gain. Not chosen:
  - a count capped as "4,000+": the ranking reads every match anyway, so in the same
    pass the exact count is free; a cap alone saves nothing;
  - ranking only the newest N matches: page 1 would change (an older photo tagged
    "cat" would lose its place to newer mentions), and at a 4-5% match rate walking
    the date index reads more rows than the word index's bitmap;
  - ts_rank_cd: no cheaper here (measured), and a different order;
  - GIN tuning: after VACUUM its scan is well under 1 ms of the query; narrower rows:
    at 2-4 rows a page each match still costs about one page."""
WORD_BEFORE = "word: first page + count, before (COUNT, then page)"
WORD_NOW = "word: first page + count, now (one pass)"
BOTH_BEFORE = "word + meaning (vector given), before"
BOTH_NOW = "word + meaning (vector given), now"
BOTH_END_TO_END = "word + meaning, query embedded by the worker, now"


def search_figures(owner, queries: int, query_vectors: dict, *, end_to_end: bool) -> dict:
    """The search page's first page, before and now, in turns; with `end_to_end`, also
    search_run as the search page calls it (the interactive worker embeds the query)."""
    from photos.selectors.search import items_search, search_run
    from photos.services import vectors

    vectors.index_for()  # built once here, not in the first timed search

    def word(i: int) -> str:
        return WORD_QUERIES[i % len(WORD_QUERIES)]

    def meaning(i: int) -> str:
        return MEANING_QUERIES[i % len(MEANING_QUERIES)]

    def both_now(i: int) -> None:
        page_now(items_search(user=owner, query=meaning(i), query_vector=query_vectors[meaning(i)]))

    def end_to_end_run(i: int) -> None:
        result = search_run(user=owner, query=meaning(i))
        if result.meaning_skipped:  # the page then says "matched by words only"
            words_only.append(meaning(i))
        list(result.page(1).object_list)

    runs: dict[str, Callable[[int], object]] = {
        WORD_BEFORE: lambda i: page_before(items_before(owner, word(i))),
        WORD_NOW: lambda i: page_now(items_search(user=owner, query=word(i))),
        BOTH_BEFORE: lambda i: page_before(
            items_before(owner, meaning(i), query_vectors[meaning(i)])
        ),
        BOTH_NOW: both_now,
    }
    words_only: list[str] = []
    if end_to_end:
        runs[BOTH_END_TO_END] = end_to_end_run
    figures = timed_in_turns(runs, queries)
    if words_only:
        print(
            f"  {len(words_only)} of {queries} end-to-end searches answered by words only: "
            f"no worker embedded the query within {vectors.QUERY_EMBED_TIMEOUT_S:.0f} s"
        )
    return figures


def meaning_parts(owner, queries: int, query_vectors: dict) -> float:
    """What the meaning half costs, piece by piece; returns the all-rows matrix median."""
    from photos.models import Album
    from photos.selectors import items_visible_to
    from photos.services import vectors

    started = time.perf_counter()
    index = vectors.index_build()
    built = time.perf_counter() - started
    print(f"  meaning index build (read {len(index)} vectors): {built:.2f} s")
    line(
        "meaning: cache key check (two index probes)",
        timed(lambda: vectors.index_key(), queries),
    )
    visible = items_visible_to(owner)
    line(
        "meaning: visible ids (owner filter) from the database",
        timed(lambda: list(visible.values_list("pk", flat=True)), max(3, queries // 5)),
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
    line(
        "meaning: matrix search, restricted to allowed ids",
        timed(lambda: index.search(next(vecs), allowed, vectors.MEANING_LIMIT), queries),
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
    from django.db.models import Count, Window

    from photos.selectors.search import items_search

    before = items_before(owner, "motorcycle")[:48]
    print("  EXPLAIN (ANALYZE, BUFFERS) word search 'motorcycle', before: the page (then a COUNT)")
    for text in before.explain(analyze=True, buffers=True).splitlines():
        print("    " + text)
    now = (
        items_search(user=owner, query="motorcycle")
        .annotate(total=Window(Count("pk")))
        .values_list("pk", "total")[:48]
    )
    print("  EXPLAIN (ANALYZE, BUFFERS) now: the page's ids and the total in one pass")
    for text in now.explain(analyze=True, buffers=True).splitlines():
        print("    " + text)


# --- the batch beside the searches --------------------------------------------------

WARMED_UP = re.compile(rb"AI models loaded and warmed up|AI warm-up failed")


def worker_start(queue: str, concurrency: int, log_path: Path, nice: int = 0) -> subprocess.Popen:
    """A `celery worker` on one queue, as the Procfile starts it, once every pool
    process has loaded its models (photos.worker_init). `nice`: its CPU priority
    below the web's and PostgreSQL's (systemd's Nice=)."""
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the worker
    worker = subprocess.Popen(
        [
            *(("nice", "-n", str(nice)) if nice else ()),
            *(sys.executable, "-m", "celery", "-A", "photo_album", "worker"),
            *("--queues", queue, "--concurrency", str(concurrency)),
            *("--hostname", f"{queue}-bench@%h", "--loglevel", "INFO"),
            *("--without-mingle", "--without-gossip"),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while len(WARMED_UP.findall(log_path.read_bytes())) < concurrency:
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise SystemExit(f"{queue} worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return worker


def batch_upload(count: int) -> list[int]:
    """Real photos, uploaded with auto-processing off into another user's album (the
    owner's results stay the same); they wait as pending until the batch sends them."""
    from bench_pipeline import photo_bytes
    from django.contrib.auth import get_user_model

    from photos.models import Album
    from photos.services.ai_settings import ai_settings_get
    from photos.services.uploads import photo_create

    settings_row = ai_settings_get()
    settings_row.auto_process_on_upload = False
    settings_row.save()
    user = get_user_model().objects.create_user("batch", password="-")
    album = Album.objects.create(owner=user, title="Batch")
    ids = []
    for i, data in enumerate(photo_bytes(count)):
        photo = photo_create(
            album=album, uploader=user, file=io.BytesIO(data), filename=f"b{i}.jpg", size=len(data)
        )
        ids.append(photo.pk)
    return ids


def batch_send(ids: list[int]) -> None:
    from photos.services import queue
    from photos.services.ai_settings import ai_settings_get
    from photos.services.processing import time_limits

    limits = time_limits(ai_settings_get())
    queue.items_process_on_commit(items=[(pk, "photo") for pk in ids], limits=limits)


def batch_state(ids: list[int]) -> dict[str, int]:
    from django.db.models import Count

    from photos.models import MediaItem

    rows = MediaItem.objects.filter(pk__in=ids).values_list("processing_status")
    return dict(rows.annotate(n=Count("pk")).order_by())


class SlotsSampled(threading.Thread):
    """How many photos are being processed, sampled every 0.1 s while the searches run."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.ids, self.samples, self.stopped = ids, [], threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopped.wait(0.1):
                self.samples.append(batch_state(self.ids).get("processing", 0))
        finally:
            connection.close()


def slots_busy(ids: list[int], concurrency: int, *, timeout: float = 120) -> dict[str, int]:
    """Wait until every processing slot holds a photo; the batch's state then."""
    deadline = time.monotonic() + timeout
    while (state := batch_state(ids)).get("processing", 0) < concurrency:
        if time.monotonic() > deadline:
            raise SystemExit(f"the batch never filled {concurrency} slots: {state}")
        time.sleep(0.05)
    return state


def busy_run(owner, args: argparse.Namespace, query_vectors: dict) -> None:
    """Search idle and while the batch runs, with the workers the Procfile starts."""
    from photos.services import vectors

    concurrency = args.batch_concurrency
    log_dir = Path(tempfile.mkdtemp(prefix="bench-search-logs-"))
    started = time.perf_counter()
    ids = batch_upload(args.batch_photos)
    print(
        f"\nUploaded {len(ids)} real photos for the batch in "
        f"{time.perf_counter() - started:.1f} s (another user's album)"
    )
    workers = []
    builds = IndexBuildsCounted()
    try:
        started = time.perf_counter()
        workers.append(worker_start("interactive", 1, log_dir / "interactive.log"))
        workers.append(worker_start("celery", concurrency, log_dir / "celery.log", args.batch_nice))
        print(
            f"Workers warm in {time.perf_counter() - started:.1f} s: processing (queue celery, "
            f"concurrency {concurrency}, nice {args.batch_nice}) and interactive (concurrency 1)"
        )
        search_run_warm(owner)
        idle = search_figures(owner, args.queries, query_vectors, end_to_end=True)
        builds.count = 0  # the busy run's rebuilds only

        batch_send(ids)
        before = slots_busy(ids, concurrency)
        busy_started = time.perf_counter()
        sampler = SlotsSampled(ids)
        sampler.start()
        busy = search_figures(owner, args.queries, query_vectors, end_to_end=True)
        sampler.stopped.set()
        sampler.join()
        busy_s = time.perf_counter() - busy_started
        after = batch_state(ids)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        vectors.index_build = builds.original
    # Between two photos a slot is empty for a moment (save, ack, next claim): the
    # samples say how often; pending photos left at the end say the queue never ran dry.
    full = sum(n >= concurrency for n in sampler.samples) / max(1, len(sampler.samples))
    fed = after.get("pending", 0) > 0
    print(
        f"\nSearch at {vectors_count():,} items, idle and while the batch runs "
        f"({concurrency} processing slots; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  batch at start: {state_text(before)}; "
        f"at end ({busy_s:.0f} s later): {state_text(after)}"
    )
    print(
        f"  every slot's photo in state 'processing' in {full:.0%} of {len(sampler.samples)} "
        "samples (otherwise a slot was embedding, saving or taking its next photo); "
        f"the queue {'never ran dry' if fed else 'RAN DRY: add --batch-photos'}"
    )
    print(
        f"  meaning index rebuilt {builds.count} times in the busy run (new embeddings; "
        "each rebuild runs in the search that finds the index stale)"
    )
    print(f"  {'':<52} {'idle median':>11} {'p95':>8}   {'busy median':>11} {'p95':>8}")
    for label, (median, p95) in idle.items():
        busy_median, busy_p95 = busy[label]
        print(
            f"  {label:<52} {median:8.1f} ms {p95:5.1f} ms   "
            f"{busy_median:8.1f} ms {busy_p95:5.1f} ms"
        )
    print(
        "  targets (issue 11), first page at 100,000 items: word p95 <= 50 ms, "
        "word + meaning p95 <= 100 ms"
    )


def search_run_warm(owner) -> None:
    """One search through the interactive worker first: its first embedding loads nothing
    more, but the result backend's connection opens here, not in a timed search."""
    from photos.selectors.search import search_run

    for query in MEANING_QUERIES[:2]:
        if search_run(user=owner, query=query).meaning_skipped:
            raise SystemExit("the interactive worker did not embed a warm-up query")


class IndexBuildsCounted:
    """Counts the meaning index's rebuilds (photos.services.vectors.index_build)."""

    def __init__(self) -> None:
        from photos.services import vectors

        self.count = 0
        self.original = vectors.index_build

        def counted(*args, **kwargs):
            self.count += 1
            return self.original(*args, **kwargs)

        vectors.index_build = counted


def vectors_count() -> int:
    from photos.models import MediaItem

    return MediaItem.objects.count()


def state_text(state: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(state.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the database for a look after")
    parser.add_argument(
        "--no-busy", dest="busy", action="store_false", help="skip the run beside the batch"
    )
    parser.add_argument("--batch-photos", type=int, default=400)
    parser.add_argument(
        "--batch-concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="processing slots (default: one per core, Celery's own default)",
    )
    parser.add_argument(
        "--batch-nice",
        type=int,
        default=0,
        help="run the processing worker at this nice level (default 0, as deployed)",
    )
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-search-media-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="photo_album.settings",
        DATABASE_URL=database_url(DB_NAME),
        CELERY_BROKER_URL=BROKER_URL,
        CELERY_RESULT_BACKEND=BROKER_URL,
        MEDIA_ROOT=media,
        HTTPS="false",
        ALLOWED_HOSTS="testserver",
        ORT_DISABLE_TELEMETRY="1",
        LOG_LEVEL="WARNING",
    )
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()
    database_create(DB_NAME)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(DB_NAME)
        redis.Redis.from_url(BROKER_URL).flushdb()
        shutil.rmtree(media, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from ai_engine.embeddings import embed_texts
    from photos.models import Album

    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
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
        print(
            f"\n{size:,} items (inserted in {time.perf_counter() - started:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f})"
        )
        if size == args.sizes[-1]:
            print(CHOICE)
        figures = search_figures(owner, args.queries, query_vectors, end_to_end=False)
        for label, figure in figures.items():
            line(label, figure)
        matrix_ms = meaning_parts(owner, args.queries, query_vectors)
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
    if args.busy:
        busy_run(owner, args, query_vectors)


if __name__ == "__main__":
    main()
