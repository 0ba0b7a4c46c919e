"""A worker loads its AI models when its pool process starts, before it claims any item."""

from __future__ import annotations

import pytest

from photos.models import Photo, ProcessingStatus
from tests.pipeline.conftest import (
    ai_settings_set,
    all_in,
    redis_flush,
    wait_until,
    worker_start,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WARMED = "AI models loaded and warmed up"


def test_a_worker_loads_its_models_before_the_first_item(worker_dir, worker_media, upload_photo):
    # A processing timeout far below a cold model load on this machine (13-65 s were
    # measured): an item can only complete in time if loading happened before its claim.
    ai_settings_set(auto_process_on_upload=True, processing_timeout=10)
    redis_flush()
    worker = worker_start(worker_media, worker_dir, concurrency=1)
    try:
        first, second = upload_photo("chelsea"), upload_photo("coffee")
        ids = [first.pk, second.pk]
        done = (ProcessingStatus.COMPLETED, ProcessingStatus.FAILED)
        wait_until(
            lambda: (
                set(Photo.objects.filter(pk__in=ids).values_list("processing_status", flat=True))
                <= set(done)
            ),
            timeout=240,
            what="both photos processed",
        )
        assert all_in(Photo, ids, ProcessingStatus.COMPLETED)(), [
            (p.pk, p.processing_status, p.error_message) for p in Photo.objects.filter(pk__in=ids)
        ]
        log = worker.log()
        warmed = log.index(WARMED)
        assert warmed < log.index(f"Processing photo ID: {first.pk}")
        # Loading happened once, at the process start: not again for an item.
        assert log.count(WARMED) == 1
        assert log[warmed:].count("Loading AI models... (loaded when this worker") == 2
        seconds = {
            p.pk: (p.processed_at - p.processing_started_at).total_seconds()
            for p in Photo.objects.filter(pk__in=ids)
        }
        assert seconds[first.pk] < 10 and seconds[second.pk] < 10, seconds
    finally:
        worker.stop()


def test_a_worker_starts_on_the_default_backend_when_the_database_is_down(worker_dir, worker_media):
    redis_flush()
    worker = worker_start(
        worker_media, worker_dir, concurrency=1, DATABASE_URL="postgres://nobody@127.0.0.1:9/none"
    )
    try:
        worker.wait_for_log(WARMED, timeout=240)
        log = worker.log()
        assert "AI settings unreadable at worker start" in log
        assert "offline backend" in log[log.index(WARMED) :]
        assert worker.alive
    finally:
        worker.stop()
