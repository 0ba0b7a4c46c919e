"""Benchmark zip downloads (not a test): throughput and peak memory while streaming a big album.

    .venv/bin/python scripts/bench_zip.py [--size-mb 1024] [--file-mb 8]

Uses its own PostgreSQL database, created and dropped (bench_zip, or
BENCH_DB), and a temporary MEDIA_ROOT. Every file is a real JPEG (a
photograph with GPS EXIF) padded after its end-of-image marker with random
bytes to --file-mb, so it is incompressible like a photo and the location
stripper has a real header to rewrite. The zip is fetched through the real
views with Django's test client, chunks counted and thrown away, twice:

- the owner's album download (originals as stored);
- a share link's download without location (each header rewritten on the fly).

Prints MB/s and the process's resident memory before, at peak (sampled every
64 chunks) and the growth, next to the album's size.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import database_create, database_drop, database_url  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "bench_zip")
MB = 2**20


def album_fill(album, *, size_mb: int, file_mb: int) -> int:
    """Write size_mb of padded GPS JPEGs through the storage API; returns the bytes stored."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from photos.models import Photo
    from tests.samples import exif_with_gps, jpeg_bytes

    head = jpeg_bytes("chelsea", exif=exif_with_gps(latitude=48.8584, longitude=2.2945))
    padding = os.urandom(file_mb * MB - len(head))
    total = 0
    for n in range(max(1, size_mb // file_mb)):
        # A different last 8 bytes per file: no two files alike.
        content = head + padding[:-8] + n.to_bytes(8, "big")
        name = default_storage.save(f"originals/bench/{n}.jpg", ContentFile(content))
        Photo.objects.create(
            album=album,
            uploader=album.owner,
            original=name,
            original_filename="photo.jpg",  # every name the same: the de-duplication runs too
            content_type="image/jpeg",
            size_bytes=len(content),
            checksum_sha256="0" * 64,
        )
        total += len(content)
    return total


def rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def measure(label: str, client, url: str, album_bytes: int) -> None:
    import gc

    gc.collect()
    before = rss()
    peak = before
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    streamed = 0
    for n, chunk in enumerate(response.streaming_content):
        streamed += len(chunk)
        if n % 64 == 0:
            peak = max(peak, rss())
    elapsed = time.perf_counter() - started
    peak = max(peak, rss())
    rate = streamed / MB / elapsed
    print(
        f"{label:<34} {streamed / MB:8.0f} MB in {elapsed:6.2f} s = {rate:7.1f} MB/s"
        f"   RSS before {before / MB:6.1f} MB, peak {peak / MB:6.1f} MB,"
        f" growth {(peak - before) / MB:5.1f} MB (album {album_bytes / MB:.0f} MB)"
    )


def run(args: argparse.Namespace, media_root: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from photos.models import Album
    from photos.services.share_links import share_link_create

    settings.MEDIA_ROOT = media_root
    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="x")
    album = Album.objects.create(owner=owner, title="Bench")
    started = time.perf_counter()
    album_bytes = album_fill(album, size_mb=args.size_mb, file_mb=args.file_mb)
    count = album.items.count()
    print(
        f"album: {count} files, {album_bytes / MB:.0f} MB written in "
        f"{time.perf_counter() - started:.1f} s"
    )

    client = Client()
    client.force_login(owner)
    measure(
        "owner zip (originals as stored)",
        client,
        reverse("album-download", args=[album.pk]),
        album_bytes,
    )
    token = share_link_create(album=album, created_by=owner, allow_originals=True).token
    measure(
        "share zip (GPS stripped)", Client(), reverse("share-download", args=[token]), album_bytes
    )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"process max RSS over the whole run: {max_rss / MB:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--file-mb", type=int, default=8)
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="photo_album.settings",
        DATABASE_URL=database_url(DB_NAME),
        HTTPS="false",
        ALLOWED_HOSTS="testserver",
    )
    database_create(DB_NAME)
    try:
        with tempfile.TemporaryDirectory(prefix="bench_zip_") as media_root:
            run(args, media_root)
    finally:
        from django.db import connections

        connections.close_all()
        database_drop(DB_NAME)


if __name__ == "__main__":
    main()
