"""Loaded only by test workers (`celery worker --include tests.pipeline.worker_hold`).

While the file named by AI_TEST_HOLD_FILE exists, a worker that has claimed an
item waits before the engine runs, as a very slow engine would: the tests kill
a worker holding a claim (tests/pipeline/test_recovery.py) or keep every
processing slot busy (tests/pipeline/test_queue.py). Production code has no
hook for this: the module wraps the engine call of photos.services.processing
in the worker's own process, at start, before the pool forks.
"""

from __future__ import annotations

import os
import time
from typing import Any

from photos.services import processing

HOLD_ENV = "AI_TEST_HOLD_FILE"
_item_analyze = processing.item_analyze


def held_item_analyze(*args: Any, **kwargs: Any) -> Any:
    path = os.environ.get(HOLD_ENV)
    while path and os.path.exists(path):
        time.sleep(0.05)
    return _item_analyze(*args, **kwargs)


processing.item_analyze = held_item_analyze
