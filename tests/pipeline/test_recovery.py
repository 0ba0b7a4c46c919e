"""Nothing lost: a worker SIGKILLed mid-item, and Redis flushed while items wait.

These run a real beat (sweep and reaper every 2 s) and workers with short
limits, all set through the environment as an operator would:

    processing timeout 60 s (AISettings), hard limit +5 s, a 10 s lease renewed
    every 3 s; visibility timeout 40 s (longer than the lease, so the reaper
    acts first); sweep after 3 s pending.

Recovery bound after a SIGKILL of the whole worker: lease (10 s) + reaper
interval (2 s) + a new worker's start and model load + one item: asserted
below as RECOVERY_BOUND_S. test_recovery_defaults.py does it at the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from photos.models import Photo, ProcessingStatus
from photos.services import processing
from tests.pipeline.conftest import (
    Process,
    ai_settings_set,
    all_in,
    beat_start,
    processing_log_count,
    redis_flush,
    statuses,
    wait_until,
    worker_start,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A timeout well above a cold model load on a busy 2-core machine (15-25 s).
TIMEOUT_S, GRACE_S, LEASE_S, REAPER_S = 60, 5, 10, 2
# Lease + reaper tick + a fresh worker's start, model load and one photo (generous for 2 cores).
RECOVERY_BOUND_S = LEASE_S + REAPER_S + 60

SHORT_LIMITS = {
    "AI_TIME_LIMIT_GRACE": str(GRACE_S),
    "AI_LEASE_SECONDS": str(LEASE_S),
    "AI_LEASE_RENEW_INTERVAL": "3",
    "CELERY_VISIBILITY_TIMEOUT": "40",
    "AI_SWEEP_INTERVAL": str(REAPER_S),
    "AI_REAPER_INTERVAL": str(REAPER_S),
    "AI_SWEEP_AFTER": "3",
}


@pytest.fixture
def hold_file(worker_dir) -> Iterator[Path]:
    """While this file exists, a worker started with it holds its claimed item (worker_hold.py)."""
    path = worker_dir / "hold"
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def start(real_worker, worker_dir, worker_media, hold_file, settings) -> Iterator:
    # This process enqueues the uploads, so it computes the time limits: same values.
    settings.AI_TIME_LIMIT_GRACE = GRACE_S
    settings.AI_SWEEP_AFTER = 3
    started: list[Process] = []

    def start_worker() -> Process:
        worker = worker_start(
            worker_media, worker_dir, AI_TEST_HOLD_FILE=str(hold_file), **SHORT_LIMITS
        )
        started.append(worker)
        return worker

    redis_flush()
    started.append(beat_start(worker_media, worker_dir, **SHORT_LIMITS))
    yield start_worker
    for process in started:
        process.stop()


def test_it_completes_an_item_whose_worker_was_killed(start, upload_photo, hold_file):
    ai_settings_set(auto_process_on_upload=True, processing_timeout=TIMEOUT_S)
    doomed = start()
    hold_file.touch()
    photo = upload_photo()
    wait_until(
        lambda: statuses(Photo, [photo.pk])[photo.pk] == ProcessingStatus.PROCESSING,
        timeout=30,
        what="the worker to claim the photo",
    )
    doomed.kill()
    assert not doomed.alive
    hold_file.unlink()

    killed_at = time.monotonic()
    survivor = start()
    wait_until(
        all_in(Photo, [photo.pk], "completed"), timeout=RECOVERY_BOUND_S + 30, what="recovery"
    )
    took = time.monotonic() - killed_at  # the survivor's start-up counts too
    assert took <= RECOVERY_BOUND_S, f"recovered in {took:.0f}s, bound {RECOVERY_BOUND_S}s"

    photo.refresh_from_db()
    assert photo.ai_description
    assert photo.attempts == 2  # one claim by the killed worker, one by the survivor
    assert processing_log_count(survivor.log(), "photo", photo.pk) == 1
    assert processing_log_count(doomed.log(), "photo", photo.pk) == 1  # held, never analysed
    assert "Generating description" not in doomed.log()
    print(f"recovered {took:.0f}s after the SIGKILL (bound {RECOVERY_BOUND_S}s)")


def test_it_sweeps_batch_items_whose_messages_redis_lost(start, upload_photo, hold_file):
    # Uploaded with auto-process off: only the nightly batch queues them.
    ai_settings_set(
        auto_process_on_upload=False,
        scheduled_processing_enabled=True,
        processing_timeout=TIMEOUT_S,
    )
    worker = start()
    hold_file.touch()
    held, waiting = upload_photo(), upload_photo()
    assert processing.pending_batch_enqueue(kind="photo") == 2
    wait_until(
        lambda: statuses(Photo, [held.pk])[held.pk] == ProcessingStatus.PROCESSING,
        timeout=30,
        what="the worker to claim the first photo",
    )
    # One pool process: the second message waits in Redis until Redis loses it.
    redis_flush()
    hold_file.unlink()

    ids = [held.pk, waiting.pk]
    wait_until(all_in(Photo, ids, "completed"), timeout=90, what="the sweep to recover it")
    assert "Sweep: queued" in worker.log()
    assert [processing_log_count(worker.log(), "photo", pk) for pk in ids] == [1, 1]


def test_it_sweeps_items_whose_messages_redis_lost(start, upload_photo, hold_file):
    ai_settings_set(auto_process_on_upload=True, processing_timeout=TIMEOUT_S)
    worker = start()
    hold_file.touch()
    busy = upload_photo()
    wait_until(
        lambda: statuses(Photo, [busy.pk])[busy.pk] == ProcessingStatus.PROCESSING,
        timeout=30,
        what="the worker to claim the first photo",
    )
    # One pool process, prefetch 1: these two wait in Redis...
    waiting = [upload_photo().pk, upload_photo().pk]
    time.sleep(0.5)
    # ...until Redis loses everything (restart without persistence, FLUSHDB).
    redis_flush()
    hold_file.unlink()

    ids = [busy.pk, *waiting]
    wait_until(all_in(Photo, ids, "completed"), timeout=90, what="the sweep to recover them")
    assert "Sweep: queued" in worker.log()
    assert [processing_log_count(worker.log(), "photo", pk) for pk in ids] == [1, 1, 1]


def test_it_fails_an_item_that_runs_past_its_soft_time_limit(start, upload_photo, hold_file):
    # AISettings' timeout applies per task call: 2 s here, while the item is held.
    ai_settings_set(auto_process_on_upload=True, processing_timeout=2)
    worker = start()
    hold_file.touch()
    photo = upload_photo()
    wait_until(all_in(Photo, [photo.pk], "failed"), timeout=30, what="the soft time limit to fire")
    photo.refresh_from_db()
    assert photo.processing_error.startswith("Timed out after 2 s")
    assert worker.alive
