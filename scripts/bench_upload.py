#!/usr/bin/env python
"""Benchmark: upload N 12-megapixel JPEGs through POST /albums/<id>/upload/ and print the figures.

Usage (from the repository root, PostgreSQL on 127.0.0.1 as for the tests):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test HTTPS=false \
        .venv/bin/python scripts/bench_upload.py [--count 20] [--per-request 1]

It makes the photos (scikit-image photographs upscaled to 4000x3000) in a
child process, so the figures below are the web process's own: it creates a
throw-away test database, uploads through Django's test client one file per
request (as the album page's script does), and reports wall time, per-request
latency, and peak memory (ru_maxrss, plus RSS sampled every 10 ms).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photo_album.settings")
os.environ.setdefault("HTTPS", "false")

SIZE = (4000, 3000)
# tests.samples.PHOTOS names "motorcycle_left", which skimage.data does not have.
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "camera")


def generate(folder: Path, count: int, *, grain: bool) -> None:
    """Write `count` distinct 12-MP JPEGs (runs in a child process).

    Upscaled photos are smooth and compress to ~1 MB; `grain` adds sensor-like
    noise so the files weigh what a camera's do (4-8 MB).
    """
    import numpy as np
    from PIL import Image, ImageEnhance, ImageOps

    from tests.samples import photo_image

    for index in range(count):
        name = PHOTOS[index % len(PHOTOS)]
        image = ImageOps.fit(photo_image(name), SIZE, Image.Resampling.BICUBIC)
        # A little brighter each time: distinct files, so no duplicate refusals.
        image = ImageEnhance.Brightness(image).enhance(1 + index / 100)
        if grain:
            pixels = np.asarray(image, dtype=np.int16)
            noise = np.random.default_rng(index).normal(0, 6, pixels.shape).astype(np.int16)
            image = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
        image.save(folder / f"{index:02d}-{name}.jpg", "JPEG", quality=90)


class RssSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def bench(files: list[Path], per_request: int) -> None:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases
    from django.urls import reverse

    from photos.models import Album, Photo

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    media = tempfile.TemporaryDirectory(prefix="bench-media-")
    settings.MEDIA_ROOT = media.name
    try:
        user = get_user_model().objects.create_user("bench", password="bench-password")
        album = Album.objects.create(owner=user, title="Bench")
        client = Client()
        client.force_login(user)
        url = reverse("album-upload", args=[album.pk])
        client.get(reverse("album-detail", args=[album.pk]))  # warm up imports and templates

        rss_before = RssSampler().process.memory_info().rss
        sampler = RssSampler()
        sampler.start()
        latencies: list[float] = []
        started = time.perf_counter()
        for first in range(0, len(files), per_request):
            batch = files[first : first + per_request]
            uploads = [SimpleUploadedFile(path.name, path.read_bytes()) for path in batch]
            t0 = time.perf_counter()
            response = client.post(url, {"files": uploads}, headers={"Accept": "application/json"})
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 201:
                raise SystemExit(f"upload failed: {response.status_code} {response.content[:300]}")
        total = time.perf_counter() - started
        sampler.running = False
        sampler.join()

        stored = Photo.objects.filter(album=album).count()
        megabytes = sum(path.stat().st_size for path in files) / 1e6
        print(f"photos uploaded:        {stored} of {len(files)} ({SIZE[0]}x{SIZE[1]} JPEG)")
        print(f"bytes uploaded:         {megabytes:.1f} MB")
        print(f"files per request:      {per_request}")
        print(
            f"total time:             {total:.2f} s ({len(files) / total:.2f} photos/s, "
            f"{megabytes / total:.1f} MB/s)"
        )
        print(
            f"per request:            median {statistics.median(latencies) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )
        print(f"RSS before uploads:     {rss_before / 1e6:.0f} MB")
        print(f"peak RSS (sampled):     {sampler.peak / 1e6:.0f} MB")
        print(f"peak RSS (ru_maxrss):   {max_rss_bytes() / 1e6:.0f} MB")
    finally:
        teardown_databases(databases, verbosity=0)
        media.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--per-request", type=int, default=1)
    parser.add_argument("--grain", action="store_true", help="camera-like file sizes")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.count, grain=args.grain)
        return
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as folder:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", folder, "--count", str(args.count)]
            + (["--grain"] if args.grain else []),
            check=True,
        )
        print(f"made {args.count} photos in {time.perf_counter() - t0:.1f} s (child process)")
        bench(sorted(Path(folder).glob("*.jpg")), args.per_request)


if __name__ == "__main__":
    main()
