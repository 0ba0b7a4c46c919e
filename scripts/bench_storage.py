"""Benchmark media storage (not a test): upload -> completed on an S3 bucket against local disk.

    .venv/bin/python scripts/bench_storage.py [--photos 12]

The same photos are uploaded one at a time through the upload service and each is
waited for until a real `celery worker` subprocess has completed it, with media on
local disk (MEDIA_ROOT) and in an S3 bucket (a worker whose MEDIA_ROOT cannot
exist), in the order local, S3, S3, local, each on half of the photos. The bucket
is moto's standalone S3 server on loopback (an in-memory Python server: a real
MinIO or AWS adds its own network time).
Uses a throwaway PostgreSQL database (bench_storage, scripts/bench_db.py) and the
Redis database BENCH_BROKER_URL (default 13), flushed.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_db import (  # noqa: E402
    database_create,
    database_drop,
    worker_environment,
)
from bench_pipeline import photo_bytes, tree_cpu_s, wait_completed, worker_start  # noqa: E402

DB_NAME = "bench_storage"
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
BUCKET = "bench-photo-album"


def base_environment(media_root: str) -> dict[str, str]:
    return worker_environment(db_name=DB_NAME, broker_url=BROKER_URL, media_root=media_root)


def s3_environment(endpoint: str) -> dict[str, str]:
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ACCESS_KEY_ID": "bench",
        "AWS_S3_SECRET_ACCESS_KEY": "bench-secret",
    }


def s3_server_start(log_path: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1).close()
            return server, endpoint
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"S3 server did not start:\n{log_path.read_text()}") from None
            time.sleep(0.1)


def bucket_create(endpoint: str) -> None:
    import boto3

    env = s3_environment(endpoint)
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_S3_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=BUCKET)


def round_run(label: str, owner, photos: list[bytes], env: dict[str, str], log_dir: Path) -> dict:
    """Upload and wait, one photo at a time, with a worker started for this storage."""
    import redis

    from photos.models import Album
    from photos.services.uploads import photo_create

    redis.Redis.from_url(BROKER_URL).flushdb()
    worker = worker_start(env, 1, log_dir / f"worker-{label}.log")
    try:
        album = Album.objects.create(owner=owner, title=label)

        def upload(i: int, data: bytes) -> tuple[float, float]:
            started = time.perf_counter()
            photo = photo_create(
                album=album, uploader=owner, file=io.BytesIO(data), filename=f"{i}.jpg",
                size=len(data),
            )  # fmt: skip
            stored = time.perf_counter() - started
            wait_completed([photo.pk])
            return stored, time.perf_counter() - started

        upload(0, photos[0])  # the pool process loads its models on the first item
        cpu_before = tree_cpu_s(worker.pid)
        timings = [upload(i, data) for i, data in enumerate(photos[1:], start=1)]
        cpu = tree_cpu_s(worker.pid) - cpu_before
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    failed = album.items.exclude(processing_status="completed").count()
    return {"timings": timings, "cpu": cpu, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=12)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    local_env = base_environment(str(work / "media"))
    os.environ.update(local_env)
    database_create(DB_NAME)
    server, endpoint = s3_server_start(work / "moto.log")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings

    from photo_album.media_storage import media_storage

    try:
        call_command("migrate", verbosity=0)
        bucket_create(endpoint)
        from photos.services.ai_settings import ai_settings_get

        row = ai_settings_get()
        row.auto_process_on_upload = True
        row.save()
        owner = get_user_model().objects.create_user(username="bench")
        photos = photo_bytes(args.photos + 1)
        s3_env = {**local_env, **s3_environment(endpoint), "MEDIA_ROOT": "/dev/null/media"}
        # Local, S3, S3, local (each half of the photos in each): the load of a shared
        # machine drifts, and this order gives both storages the same share of it.
        halves = (photos[: len(photos) // 2 + 1], [photos[0], *photos[len(photos) // 2 + 1 :]])
        results: dict[str, list[dict]] = {"local disk": [], "S3 (moto)": []}
        for step, (label, half) in enumerate(
            zip(("local", "s3", "s3", "local"), (*halves, *halves), strict=True)
        ):
            if label == "local":
                os.environ.update(local_env)
                for name in s3_environment(endpoint):
                    os.environ.pop(name, None)
                result = round_run(f"local{step}", owner, half, local_env, work)
                results["local disk"].append(result)
            else:
                os.environ.update(s3_env)
                with override_settings(
                    MEDIA_STORAGE="s3",
                    MEDIA_ROOT="/dev/null/media",
                    STORAGES={**settings.STORAGES, "default": media_storage("s3")},
                ):
                    result = round_run(f"s3{step}", owner, half, s3_env, work)
                results["S3 (moto)"].append(result)
    finally:
        connections.close_all()
        database_drop(DB_NAME)
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    sizes = sorted(len(p) for p in photos)
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before / "
        f"{os.getloadavg()[0]:.1f} after (other work on it skews wall times); one worker process"
    )
    print(
        f"photos: {args.photos} scikit-image JPEGs, {sizes[0] // 1024}-{sizes[-1] // 1024} KiB, "
        "the same bytes on both storages, one at a time, each round after a warm-up photo"
    )
    medians = {}
    for label, rounds in results.items():
        stored = [t[0] for r in rounds for t in r["timings"]]
        done = [t[1] for r in rounds for t in r["timings"]]
        cpu = sum(r["cpu"] for r in rounds)
        failed = sum(r["failed"] for r in rounds)
        medians[label] = statistics.median(done)
        print(
            f"{label:>11}: upload stored median {statistics.median(stored) * 1000:.0f} ms; "
            f"upload -> completed median {medians[label]:.3f} s "
            f"(min {min(done):.3f}, max {max(done):.3f}, n={len(done)}); worker CPU "
            f"{cpu / len(done) * 1000:.0f} ms a photo; failed {failed}"
        )
    ratio = medians["S3 (moto)"] / medians["local disk"]
    print(f"S3 / local disk, upload -> completed median: {ratio:.2f}")


if __name__ == "__main__":
    main()
