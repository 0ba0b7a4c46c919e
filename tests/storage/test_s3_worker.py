"""A worker host that shares only PostgreSQL, Redis and the bucket with the web host.

The `celery worker` subprocess gets a MEDIA_ROOT it cannot use (a path under
/dev/null: nothing can be read or created there, even as root), so every byte it
reads or writes has to go through the S3 storage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from photos.models import Face, MediaItem, Photo, ProcessingStatus, Video
from tests.pipeline.conftest import Process, all_in, redis_flush, wait_until, worker_start
from tests.samples import jpeg_bytes, mp4_bytes
from tests.storage.conftest import local_files, s3_environment
from tests.web.conftest import post_files

NO_MEDIA_ROOT = Path("/dev/null/media")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def s3_prefix() -> str:
    """One prefix for the module: the worker and the tests must see the same keys."""
    import uuid

    return f"worker-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def s3_worker(
    real_worker, django_db_setup, s3_endpoint, s3_prefix, worker_dir
) -> Iterator[Process]:
    redis_flush()
    process = worker_start(
        NO_MEDIA_ROOT, worker_dir, concurrency=1, **s3_environment(s3_endpoint, s3_prefix)
    )
    yield process
    process.stop()


def test_a_worker_without_media_root_completes_uploads_from_the_bucket(
    s3_worker, s3_media, bucket, album, owner, stranger, client_for, media_root
):
    client = client_for(owner)
    files = [
        ("cat.jpg", jpeg_bytes("chelsea")),
        ("portrait.jpg", jpeg_bytes("astronaut")),
        ("clip.mp4", mp4_bytes(("chelsea", "coffee"))),
    ]
    response = post_files(client, album, files)
    assert response.status_code == 201, response.content
    photos, video = list(Photo.objects.order_by("pk")), Video.objects.get()
    cat, portrait = photos

    ids = [p.pk for p in photos]
    wait_until(all_in(Photo, ids, ProcessingStatus.COMPLETED), timeout=120, what="photos")
    wait_until(all_in(Video, [video.pk], ProcessingStatus.COMPLETED), timeout=120, what="video")

    for item in (cat, portrait, video):
        item = MediaItem.objects.get(pk=item.pk)
        assert item.processing_error == ""
        assert item.ai_description
        assert item.tags.exists()
    assert "cat" in Photo.objects.get(pk=cat.pk).ai_description.lower()
    # The worker wrote the face it found back to the bucket; its owner sees the crop.
    face = Face.objects.get(item=portrait)
    assert face.crop.name in bucket.keys()
    crop = client.get(reverse("face-crop", args=[face.pk]))
    assert b"".join(crop.streaming_content) == bucket.read(face.crop.name)
    assert client_for(stranger).get(reverse("face-crop", args=[face.pk])).status_code == 404
    # Neither host wrote to its disk: the web host's MEDIA_ROOT is empty, the worker's unusable.
    assert local_files(media_root) == []
    environ = Path(f"/proc/{s3_worker.popen.pid}/environ").read_bytes().split(b"\0")
    assert f"MEDIA_ROOT={NO_MEDIA_ROOT}".encode() in environ
    assert b"MEDIA_STORAGE=s3" in environ
    # The worker's results are served from the bucket like the upload's.
    thumbnail = client.get(reverse("media", args=["photo", cat.pk, "thumbnail"]))
    assert thumbnail.status_code == 302
    assert len(bucket.keys()) == 2 + 2 + 3 + 1  # two photos, a video, a face crop
