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

from photos.models import MediaItem, Photo, ProcessingStatus, Video
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
    s3_worker, s3_media, bucket, album, owner, client_for, media_root
):
    client = client_for(owner)
    response = post_files(
        client,
        album,
        [("cat.jpg", jpeg_bytes("chelsea")), ("clip.mp4", mp4_bytes(("chelsea", "coffee")))],
    )
    assert response.status_code == 201, response.content
    photo, video = Photo.objects.get(), Video.objects.get()

    wait_until(all_in(Photo, [photo.pk], ProcessingStatus.COMPLETED), timeout=120, what="photo")
    wait_until(all_in(Video, [video.pk], ProcessingStatus.COMPLETED), timeout=120, what="video")

    for item in (photo, video):
        item = MediaItem.objects.get(pk=item.pk)
        assert item.processing_error == ""
        assert item.ai_description
        assert item.tags.exists()
    assert "cat" in Photo.objects.get(pk=photo.pk).ai_description.lower()
    # Neither host wrote to its disk: the web host's MEDIA_ROOT is empty, the worker's unusable.
    assert local_files(media_root) == []
    environ = Path(f"/proc/{s3_worker.popen.pid}/environ").read_bytes().split(b"\0")
    assert f"MEDIA_ROOT={NO_MEDIA_ROOT}".encode() in environ
    assert b"MEDIA_STORAGE=s3" in environ
    # The worker's results are served from the bucket like the upload's.
    thumbnail = client.get(reverse("media", args=["photo", photo.pk, "thumbnail"]))
    assert thumbnail.status_code == 302
    assert len(bucket.keys()) == 5
