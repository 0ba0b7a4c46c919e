"""What the worker adds to Celery: a remote-control command and a quiet stderr.

`pool_memory`: `stats()` reports the worker's main process (rusage), which
loads no model; the pool processes that run the AI hold ~1 GB each. /ops/,
/metrics and validate_deployment ask with `inspect()._request("pool_memory")`.

The stderr filter: mediapipe's absl and TFLite runtimes write start-up chatter
straight to file descriptor 2 (no Python logging, no setting turns it off), so
each pool process passes its stderr through a filter that drops those lines.

Imported by PhotosConfig.ready(), before photos.worker_init: the filter is in
place before the models load.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

import psutil
from celery.signals import worker_process_init
from celery.worker.control import inspect_command

# TFLite's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", absl's
# "WARNING: All log messages before absl::InitializeLog() ...", and absl/glog
# lines of severity I or W ("W0000 00:00:17.. 9510 inference_feedback_manager.cc:114] ...").
# Errors (E, F) and everything else pass through.
RUNTIME_NOISE = re.compile(
    rb"^(INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog"
    rb"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+\.cc:\d+\])"
)


def peak_rss_bytes(pid: int) -> int | None:
    """VmHWM, the process's high-water resident memory (Linux); None elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def pool_processes_memory() -> list[dict[str, Any]]:
    """RSS and peak RSS of each pool process (the main one itself for solo/threads pools)."""
    main = psutil.Process(os.getpid())
    processes = main.children() or [main]
    found = []
    for process in processes:
        try:
            rss = process.memory_info().rss
        except psutil.Error:
            continue  # it exited between the listing and the reading
        found.append(
            {"pid": process.pid, "rss_bytes": rss, "peak_rss_bytes": peak_rss_bytes(process.pid)}
        )
    return found


@inspect_command()
def pool_memory(state: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return pool_processes_memory()


def stderr_filter_install() -> None:
    """Route fd 2 through a pipe; a daemon thread forwards every line but the noise."""
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward() -> None:
        with os.fdopen(read_end, "rb", buffering=0) as lines:
            for line in iter(lines.readline, b""):
                if not RUNTIME_NOISE.match(line):
                    os.write(original, line)

    threading.Thread(target=forward, name="stderr-filter", daemon=True).start()


@worker_process_init.connect
def quiet_runtimes(**kwargs: Any) -> None:
    stderr_filter_install()
