"""Benchmark the AI pipeline (not a test): latency, batch throughput, memory, engine-only ratio.

    .venv/bin/python scripts/bench_pipeline.py [--photos 300] [--rounds 3] [--latency 20]
    .venv/bin/python scripts/bench_pipeline.py --profile 60

The ratio compares the nightly batch through a real worker with the engine alone on
the same photos, in the same number of processes. A shared machine's speed drifts
by a quarter within minutes, so the two are interleaved: engine, batch, engine,
batch, ..., engine; each batch is compared with the mean of the engine runs just
before and after it, and the median round is the figure. Each batch also reports its
tasks' steps from the worker's log (before the engine, the engine, after it, and the
wait between two tasks): the machine's drift moves the ratio by a tenth from round to
round, much less so the steps outside the engine.

--profile N runs the batch path for N photos in this process (no Celery) under
cProfile and prints where a photo's time goes: claim, engine, save (tags,
search index), embedding (by groups, as the batch does), and the top functions outside the engine.

BENCH_WORKER_ARGS adds `celery worker` options to try (e.g. "--prefetch-multiplier 2").

Uses its own PostgreSQL database (created and dropped: bench_photo_album, or
BENCH_DB_NAME) and Redis database 14 (BENCH_BROKER_URL), a real `celery worker`
subprocess, and scikit-image's photographs (small: 300-640 px), so it finishes
in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import SERVER_URL, worker_environment  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_photo_album")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
NAMES = ("chelsea", "coffee", "astronaut", "rocket", "camera")


def environment(media_root: str) -> dict[str, str]:
    return worker_environment(db_name=DB_NAME, broker_url=BROKER_URL, media_root=media_root)


def database_recreate(*, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def photo_bytes(count: int) -> list[bytes]:
    """Distinct JPEGs: uploads are deduplicated per album, so vary quality and mirror them."""
    from PIL import ImageOps

    from tests.samples import photo_image

    images = {name: photo_image(name) for name in NAMES}
    variants = [
        (name, quality, mirrored)
        for mirrored in (False, True)
        for quality in range(95, 35, -1)
        for name in NAMES
    ]
    if count > len(variants):
        raise SystemExit(f"at most {len(variants)} distinct photos")
    photos = []
    for name, quality, mirrored in variants[:count]:
        image = ImageOps.mirror(images[name]) if mirrored else images[name]
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        photos.append(buffer.getvalue())
    return photos


class TreeMemory(threading.Thread):
    """Peak summed RSS of a process and all its children, sampled every 0.5 s (the
    models' memory is a plateau; sampling more often costs the measured batch CPU)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self.stopped.wait(0.5):
            try:
                procs = [root, *root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.NoSuchProcess:
                continue

    def reset(self) -> None:
        self.peak = 0


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (the pool)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def worker_start(env: dict[str, str], concurrency: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the worker
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "photo_album",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--without-mingle",
            "--without-gossip",
            *os.environ.get("BENCH_WORKER_ARGS", "").split(),
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker did not start:\n{log_path.read_text()}")
        time.sleep(0.1)
    return worker


def wait_completed(ids: list[int], *, poll_s: float = 0.01, timeout: float = 1800) -> None:
    """Poll the rows until each is done and, if completed, has its search embedding; a
    coarse poll for big batches keeps this process off the 2 cores."""
    from django.db.models import Q

    from photos.models import Photo, ProcessingStatus

    deadline = time.monotonic() + timeout
    while True:
        left = Photo.objects.filter(pk__in=ids).filter(
            Q(processing_status__in=[ProcessingStatus.PENDING, ProcessingStatus.PROCESSING])
            | Q(processing_status=ProcessingStatus.COMPLETED, embedding=None)
        )
        if not left.exists():
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{left.count()} photos not done after {timeout}s")
        time.sleep(poll_s)


def upload(album, data: bytes, name: str):
    from photos.services.uploads import photo_create

    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=name, size=len(data)
    )


def bench_latency(album, photos: list[bytes], count: int) -> tuple[float, list[float]]:
    from photos.services.ai_settings import ai_settings_get

    row = ai_settings_get()
    row.auto_process_on_upload = True
    row.save()
    # Two at once first, so both pool processes have loaded their models.
    started = time.perf_counter()
    warm = [upload(album, photos[i], f"warm-{i}.jpg").pk for i in range(2)]
    wait_completed(warm)
    cold = time.perf_counter() - started
    timings = []
    for i in range(2, 2 + count):
        started = time.perf_counter()
        photo = upload(album, photos[i], f"latency-{i}.jpg")
        wait_completed([photo.pk])
        timings.append(time.perf_counter() - started)
    return cold, timings


def batch_upload(owner, photos: list[bytes], round_no: int) -> list[int]:
    """The photos as pending uploads (auto-process off), in albums of their own: uploads
    are deduplicated per album, so each round uploads the same photos again."""
    from photos.models import Album
    from photos.services.ai_settings import ai_settings_get

    row = ai_settings_get()
    row.auto_process_on_upload, row.scheduled_processing_enabled = False, True
    row.batch_size = len(photos)
    row.save()
    ids = []
    for start in range(0, len(photos), 250):
        album = Album.objects.create(owner=owner, title=f"batch {round_no}.{start}")
        ids += [
            upload(album, data, f"b{start + i}.jpg").pk
            for i, data in enumerate(photos[start : start + 250])
        ]
    return ids


def bench_batch(
    ids: list[int], memory: TreeMemory, log_path: Path
) -> tuple[float, int, float, dict[str, float]]:
    """(seconds, photos completed, the worker tree's CPU seconds, the tasks' steps from the
    worker's log) for the nightly batch."""
    from django.db.models import Max

    from photos.models import Photo, ProcessingStatus
    from photos.tasks import process_pending_photos_task

    log_from = log_path.stat().st_size
    cpu_before = tree_cpu_s(memory.pid)
    started = time.time()
    # ignore_result=False: results are ignored unless the caller asks (CELERY_TASK_IGNORE_RESULT).
    queued = process_pending_photos_task.apply_async(ignore_result=False).get(timeout=120)
    wait_completed(ids, poll_s=0.25)
    cpu = tree_cpu_s(memory.pid) - cpu_before
    # The batch ends with its last write (an embedding, or a completion), as the worker
    # stamped it: the coarse poll above would add half a poll to the batch's time.
    last_write = Photo.objects.filter(pk__in=ids).aggregate(last=Max("embedding_updated_at"))
    elapsed = last_write["last"].timestamp() - started
    done = Photo.objects.filter(pk__in=ids, processing_status=ProcessingStatus.COMPLETED).count()
    assert queued == len(ids), queued
    with open(log_path, "rb") as log:
        log.seek(log_from)
        steps = task_steps(log.read().decode(errors="replace"))
    return elapsed, done, cpu, steps


# The pool's INFO lines that bound an item's steps (photos.services.processing, Celery).
LOG_LINE = re.compile(r"^\[(\S+ \S+): \w+/(ForkPoolWorker-\d+)\] (.*)$", re.MULTILINE)
SUCCEEDED = re.compile(r"Task photos\.tasks\.process_photo_ai\[\S+\] succeeded in ([\d.]+)s")


def task_steps(log: str) -> dict[str, float]:
    """Mean ms of each step of a task, from the worker's log of one batch: before the engine
    (settings, claim), the engine, after it (save, faces, embedding), and the wait between
    two tasks of one pool process. Unlike the ratio, these hardly move with the machine's
    speed outside the engine, so they show what the pipeline itself adds."""
    steps: dict[str, list[float]] = {"before": [], "engine": [], "after": [], "between": []}
    open_tasks: dict[str, dict[str, float]] = {}
    last_end: dict[str, float] = {}
    for stamp, process, message in LOG_LINE.findall(log):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if message.startswith("Processing photo ID"):
            open_tasks[process] = {"claimed": at}
        elif message.startswith("Extracting tags") and process in open_tasks:
            open_tasks[process]["analysed"] = at
        elif (done := SUCCEEDED.match(message)) and "analysed" in open_tasks.get(process, {}):
            task = open_tasks.pop(process)
            started = at - float(done.group(1))
            steps["before"].append(task["claimed"] - started)
            steps["engine"].append(task["analysed"] - task["claimed"])
            steps["after"].append(at - task["analysed"])
            if process in last_end:
                steps["between"].append(started - last_end[process])
            last_end[process] = at
    return {name: statistics.mean(values) * 1000 for name, values in steps.items() if values}


def engine_warm() -> None:
    from ai_engine import get_registry
    from ai_engine.settings import EngineSettings

    get_registry().backend(EngineSettings())


def engine_one(data: bytes) -> float:
    """CPU seconds of one analysis in this process."""
    from ai_engine import Context, EngineSettings, analyze

    started = time.process_time()
    analyze(io.BytesIO(data), context=Context(settings=EngineSettings()))
    return time.process_time() - started


def bench_engine(pool, photos: list[bytes]) -> tuple[float, float]:
    """The same photos through the engine alone, in a pool of as many warm processes as
    the worker has: (seconds, CPU seconds of the analyses)."""
    started = time.perf_counter()
    cpu = sum(pool.map(engine_one, photos, chunksize=1))
    return time.perf_counter() - started, cpu


# The batch path's steps, by the function that does each (photos.services.*).
PHASES = {
    "claim, with the item's read": "item_claim",
    "settings": "ai_settings_get",
    "engine (analyze)": "item_analyze",
    "save: status, tags, search index": "item_complete",
    "  of which tags": "ai_tags_replace",
    "  of which search index": "item_search_index_update",
    "faces": "faces_save",
    "embedding (by groups)": "items_embedding_refresh",
}


def bench_profile(owner, photos: list[bytes]) -> None:
    """The batch path in this process under cProfile, after two warm-up photos."""
    import cProfile
    import pstats

    from photos.models import Album
    from photos.services import processing, queue
    from photos.services.ai_settings import ai_settings_get

    row = ai_settings_get()
    row.auto_process_on_upload = False
    row.save()
    album = Album.objects.create(owner=owner, title="profile")
    ids = [upload(album, data, f"p{i}.jpg").pk for i, data in enumerate(photos)]
    for item_id in ids[:2]:
        processing.item_process(kind="photo", item_id=item_id)
    profiled = ids[2:]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for position, item_id in enumerate(profiled):
        # As the batch sends them: the group's last item embeds the group's texts.
        start = position - position % queue.EMBED_GROUP
        group = profiled[start : start + queue.EMBED_GROUP]
        processing.item_process(kind="photo", item_id=item_id, embed_group=group)
    profiler.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    by_name: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        if "photos/services" in filename:
            by_name[name] = by_name.get(name, 0.0) + cumulative
    count = len(profiled)
    print(f"profile: {count} photos through processing.item_process in this process")
    print(f"  whole path: {total / count * 1000:.1f} ms a photo")
    for label, name in PHASES.items():
        spent = by_name.get(name, 0.0)
        print(f"  {label:<34} {spent / count * 1000:7.1f} ms a photo ({spent / total:5.1%})")
    outside = total - by_name.get("item_analyze", 0.0)
    print(f"  everything but the engine          {outside / count * 1000:7.1f} ms a photo")
    print("top functions by own time (the engine's included):")
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument(
        "--rounds", type=int, default=3, help="batches, each between two engine runs"
    )
    parser.add_argument("--latency", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-media-")
    env = environment(media)
    os.environ.update(env)
    database_recreate()
    import django
    import redis

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(BROKER_URL).flushdb()
    if args.profile:
        try:
            owner = get_user_model().objects.create_user(username="bench")
            bench_profile(owner, photo_bytes(args.profile + 2))
        finally:
            connections.close_all()
            database_recreate(drop_only=True)
        return
    photos = photo_bytes(max(args.photos, args.latency + 2))
    batch_photos = photos[: args.photos]
    log_path = Path(media) / "worker.log"
    worker = worker_start(env, args.concurrency, log_path)
    memory = TreeMemory(worker.pid)
    memory.start()
    engines: list[tuple[float, float]] = []
    batches: list[tuple[float, int, float, dict[str, float]]] = []
    try:
        owner = get_user_model().objects.create_user(username="bench")
        from photos.models import Album

        album = Album.objects.create(owner=owner, title="latency")
        cold, latencies = bench_latency(album, photos, args.latency)
        latency_peak = memory.peak
        memory.reset()
        with get_context("spawn").Pool(args.concurrency, initializer=engine_warm) as pool:
            pool.map(engine_one, photos[: args.concurrency * 4], chunksize=1)  # warm
            engines.append(bench_engine(pool, batch_photos))
            for round_no in range(args.rounds):
                ids = batch_upload(owner, batch_photos, round_no)
                batches.append(bench_batch(ids, memory, log_path))
                engines.append(bench_engine(pool, batch_photos))
        batch_peak = memory.peak
    finally:
        memory.stopped.set()
        worker.terminate()
        worker.wait(timeout=60)
        connections.close_all()
        database_recreate(drop_only=True)
        redis.Redis.from_url(BROKER_URL).flushdb()
    report(args, photos, cold, latencies, latency_peak, batch_peak, batches, engines)


def report(args, photos, cold, latencies, latency_peak, batch_peak, batches, engines) -> None:
    count = args.photos
    sizes = sorted({len(p) for p in photos})
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
        f"(other work on it skews the figures); worker prefork concurrency {args.concurrency}"
    )
    print(f"photos: scikit-image JPEGs, 300-640 px, {sizes[0] // 1024}-{sizes[-1] // 1024} KiB")
    print(f"upload -> completed, first upload (models loading): {cold:.2f} s")
    print(
        f"upload -> completed, median of {len(latencies)}: {statistics.median(latencies):.3f} s "
        f"(min {min(latencies):.3f}, max {max(latencies):.3f})"
    )
    print(f"worker peak RSS (process tree) during latency runs: {latency_peak / 2**20:.0f} MiB")
    print(f"worker peak RSS (process tree) during the batches: {batch_peak / 2**20:.0f} MiB")
    print(
        f"{count} photos, engine alone ({args.concurrency} processes, no Celery, no DB) "
        "interleaved with the nightly batch through the worker:"
    )
    print(f"  engine alone: {count / engines[0][0]:.2f} photos/s ({engines[0][0]:.1f} s)")
    time_ratios, cpu_ratios = [], []
    for round_no, (batch_s, done, batch_cpu, steps) in enumerate(batches, start=1):
        (before_s, before_cpu), (after_s, after_cpu) = engines[round_no - 1 : round_no + 1]
        engine_s, engine_cpu = (before_s + after_s) / 2, (before_cpu + after_cpu) / 2
        time_ratios.append(batch_s / engine_s)
        # CPU seconds hold up better than wall time on a machine others use too. The
        # worker tree's count leaves out PostgreSQL's and Redis's share.
        cpu_ratios.append(batch_cpu / engine_cpu)
        print(
            f"  batch {round_no}: {done}/{count} completed via process_pending_photos_task in "
            f"{batch_s:.1f} s = {done / batch_s:.2f} photos/s; time ratio {time_ratios[-1]:.2f}, "
            f"CPU {batch_cpu / count * 1000:.0f} against {engine_cpu / count * 1000:.0f} ms a "
            f"photo = {cpu_ratios[-1]:.2f}"
        )
        print(
            "    a task's steps in the worker's log (mean ms): "
            + ", ".join(f"{name} {value:.1f}" for name, value in steps.items())
            + f"; engine alone: {engine_s * args.concurrency / count * 1000:.1f} a photo"
        )
        print(f"  engine alone: {count / after_s:.2f} photos/s ({after_s:.1f} s)")
    print(
        f"pipeline / engine time ratio: {statistics.median(time_ratios):.2f} "
        f"(median of {len(time_ratios)} rounds; CPU ratio {statistics.median(cpu_ratios):.2f})"
    )


if __name__ == "__main__":
    main()
