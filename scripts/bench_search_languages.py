"""Benchmark (not a test): what matching across the written languages costs a word search.

    .venv/bin/python scripts/bench_search_languages.py [--rows 100000] [--repeat 30]

Each item's words are stemmed in the language they were written in, and a query
is the OR of its stemming in every language (photos.selectors.search.words_query).
This fills a throwaway database (bench_search_languages, or BENCH_DB) with rows
whose words come from the engine's catalogues (70% English, 10% each German,
French, Spanish), with a GIN index, and times, per query, the old single
English tsquery against the OR of four: the matches' count and the first page
(48 by ts_rank). Prints medians in milliseconds and the server's CPU time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_db import database_create, database_drop, database_url  # noqa: E402

from ai_engine.language import LANGUAGES, catalogue  # noqa: E402
from photos.languages import TEXT_SEARCH_CONFIGS as CONFIGS  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "bench_search_languages")
WEIGHTS = {"en": 0.7, "de": 0.1, "fr": 0.1, "es": 0.1}
QUERIES = ("dogs", "Hunde", "chats", "gatos", "beach", "Strand", "cup coffee", "red car")


def rows_make(rng: random.Random, count: int) -> list[tuple[str, str]]:
    keys = sorted(catalogue("en").nouns)
    rows = []
    for _ in range(count):
        code = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        words = catalogue(code)
        picked = rng.sample(keys, 3)
        text = " ".join(
            [words.nouns[picked[0]].many, words.nouns[picked[1]].one]
            + [words.tag_name(key) for key in picked]
        )
        rows.append((code, text))
    return rows


def one(config: str) -> str:
    return f"websearch_to_tsquery('{config}', %(q)s)"


def any_language() -> str:
    return " || ".join(one(CONFIGS[code]) for code in LANGUAGES)


def timed(conn, sql: str, query: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.execute(sql, {"q": query}).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def fill(conn, rows: int) -> None:
    conn.execute("CREATE TABLE item (id serial PRIMARY KEY, lang text, body text, v tsvector)")
    with conn.cursor().copy("COPY item (lang, body) FROM STDIN") as copy:
        for row in rows_make(random.Random(7), rows):
            copy.write_row(row)
    config = " ".join(f"WHEN '{c}' THEN '{name}'" for c, name in CONFIGS.items())
    conn.execute(f"UPDATE item SET v = to_tsvector((CASE lang {config} END)::regconfig, body)")
    conn.execute("CREATE INDEX ON item USING gin (v)")
    conn.execute("VACUUM ANALYZE item")


def measure(conn, query: str, tsquery: str, repeat: int) -> tuple[int, float, float]:
    """(matches, ms to count them, ms for the first page by rank)."""
    where = f"FROM item WHERE v @@ ({tsquery})"
    matches = conn.execute(f"SELECT count(*) {where}", {"q": query}).fetchone()[0]
    count_ms = timed(conn, f"SELECT count(*) {where}", query, repeat)
    page_sql = f"SELECT id, ts_rank(v, ({tsquery})) AS r {where} ORDER BY r DESC LIMIT 48"
    return matches, count_ms, timed(conn, page_sql, query, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()

    import psycopg

    database_create(DB_NAME)
    try:
        # Client-side binding, as Django sends them: the planner folds the tsqueries once.
        with psycopg.connect(
            database_url(DB_NAME), autocommit=True, cursor_factory=psycopg.ClientCursor
        ) as conn:
            fill(conn, options.rows)
            print(f"{options.rows} rows; load average {os.getloadavg()[0]:.2f}")
            print(f"{'query':<12} {'matches 1/4':>12} {'count ms 1/4':>16} {'page ms 1/4':>16}")
            cpu_started = time.process_time()
            for query in QUERIES:
                m1, c1, p1 = measure(conn, query, one("english"), options.repeat)
                m4, c4, p4 = measure(conn, query, any_language(), options.repeat)
                print(f"{query:<12} {m1:>5}/{m4:<6} {c1:>7.2f}/{c4:<8.2f} {p1:>7.2f}/{p4:<8.2f}")
            print(f"client CPU {time.process_time() - cpu_started:.2f} s")
    finally:
        if not os.environ.get("BENCH_KEEP"):
            database_drop(DB_NAME)


if __name__ == "__main__":
    main()
