"""A worker at --loglevel WARNING logs nothing while it processes a photo normally.

Model runtimes print progress bars (which Celery relays as WARNING lines) and
absl/TFLite start-up lines; an operator reading worker.log should see only
what needs attention.
"""

from __future__ import annotations

import os
import signal

import pytest

from photos.models import Photo
from tests.pipeline.conftest import ai_settings_set, all_in, redis_flush, wait_until, worker_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NOISE = ("Loading weights", "%|", "absl", "TensorFlow Lite", "W0000", "I0000", "XNNPACK")


def after_banner(log: str) -> list[str]:
    """The log's lines after Celery's start-up banner (its queue list), empty ones dropped."""
    lines = log.splitlines()
    start = max(n for n, line in enumerate(lines) if "exchange=" in line)
    return [line for line in lines[start + 1 :] if line.strip()]


def test_a_worker_at_warning_is_silent_while_it_processes_a_photo(
    worker_dir, worker_media, shared_media, upload_photo
):
    redis_flush()
    worker = worker_start(worker_media, worker_dir, loglevel="WARNING")
    try:
        ai_settings_set(auto_process_on_upload=True, backend="offline")
        photo = upload_photo("chelsea")
        wait_until(all_in(Photo, [photo.pk], "completed"), timeout=120, what="the photo")
        # As systemd stops it: SIGTERM to the main process only (a warm shutdown).
        os.kill(worker.popen.pid, signal.SIGTERM)
        worker.popen.wait(timeout=30)
    finally:
        worker.stop()

    lines = after_banner(worker.log())
    noisy = [line for line in lines if any(word in line for word in NOISE)]
    assert noisy == [], "\n".join(noisy)
    # Only the shutdown line is left (and nothing else at WARNING or above).
    assert [line for line in lines if "Warm shutdown" not in line] == []
