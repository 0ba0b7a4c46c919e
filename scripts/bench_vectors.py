"""Benchmark meaning search's indexes (not a test): approximate (usearch HNSW) against exact.

    .venv/bin/python scripts/bench_vectors.py [--count 100000] [--dims 768] [--queries 500]
        [--connectivity 16] [--expansion-add 40] [--expansion-search 128] [--threads 0]

Vectors are clustered like a photo library's image embeddings (tests/search/clustered.py
says how and why not uniform random), at SigLIP 2 base's width by default. Prints the
approximate index's build time (wall and CPU), its memory, recall@10 against exact search
over the same vectors, and the query latency (p50, p95, one query at a time, one thread)
of both indexes, unfiltered and filtered to one owner's albums (90 % of the rows).
No database: the indexes are photos.services.vector_index's, as the web process builds them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def timed(index, allowed, queries) -> tuple[list[list[int]], list[float]]:
    found, times = [], []
    for query in queries:
        started = time.perf_counter()
        hits = index.search(query, allowed, 10)
        times.append(time.perf_counter() - started)
        found.append([pk for pk, _ in hits])
    return found, times


def main() -> None:
    import numpy as np
    import psutil

    from photos.services import vector_index
    from photos.services.vector_index import ApproximateIndex, VectorIndex
    from tests.search.clustered import clustered, exact_top, recall_at

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=768)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--connectivity", type=int, default=vector_index.CONNECTIVITY)
    parser.add_argument("--expansion-add", type=int, default=vector_index.EXPANSION_ADD)
    parser.add_argument("--expansion-search", type=int, default=vector_index.EXPANSION_SEARCH)
    parser.add_argument("--dtype", default=vector_index.DTYPE)
    parser.add_argument("--threads", type=int, default=0, help="for the build; 0: every core")
    args = parser.parse_args()
    vector_index.CONNECTIVITY = args.connectivity
    vector_index.EXPANSION_ADD = args.expansion_add
    vector_index.EXPANSION_SEARCH = args.expansion_search
    vector_index.DTYPE = args.dtype

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    started = time.perf_counter()
    vectors, queries = clustered(args.count, args.queries, dims=args.dims)
    print(
        f"{args.count:,} clustered {args.dims}-d vectors in {time.perf_counter() - started:.1f} s"
    )
    ids = np.arange(1, args.count + 1, dtype=np.int64)
    album_ids = np.where(np.arange(args.count) % 10 == 0, 2, 1).astype(np.int64)
    kinds = np.full(args.count, "photo")
    updated = np.zeros(args.count, dtype=np.int64)

    process = psutil.Process()
    rss_before = process.memory_info().rss
    wall, cpu = time.perf_counter(), time.process_time()
    approximate = ApproximateIndex.build(
        ids, vectors, album_ids, kinds, updated, threads=args.threads
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_after = process.memory_info().rss
    exact = VectorIndex(ids, vectors, album_ids, kinds)
    print(
        f"approximate index (usearch {args.dtype}, connectivity {args.connectivity}, "
        f"expansion add {args.expansion_add} / search {args.expansion_search}):"
    )
    print(f"  build     {wall:6.1f} s wall, {cpu:6.1f} s CPU")
    print(
        f"  memory    {approximate.graph.memory_bytes / 2**20:6.0f} MiB (usearch's count; "
        f"the process grew {(rss_after - rss_before) / 2**20:.0f} MiB); "
        f"exact matrix {vectors.nbytes / 2**20:.0f} MiB float32"
    )

    truth = exact_top(vectors, queries, 10) + 1  # row numbers to ids
    mine = exact.ids_in_albums([1])
    for label, allowed in (("all rows", None), ("one owner (90 %)", mine)):
        ann_found, ann_times = timed(approximate, allowed, queries)
        exact_found, exact_times = timed(exact, allowed, queries)
        recall = recall_at(ann_found, np.asarray(exact_found))
        print(f"  {label}:")
        print(f"    recall@10 {recall:.4f} against exact search")
        print(f"    approximate {percentiles(ann_times)}")
        print(f"    exact       {percentiles(exact_times)}")
        if allowed is None:
            assert recall_at(exact_found, truth) == 1.0  # the two exact searches agree


if __name__ == "__main__":
    main()
