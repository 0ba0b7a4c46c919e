"""A remote-control command the worker answers: each pool process's memory.

`stats()` reports the worker's main process (rusage), which loads no model;
the pool processes that run the AI hold ~1 GB each. /ops/, /metrics and
validate_deployment ask with `app.control.inspect()._request("pool_memory")`.
Imported by photos.tasks, so every worker registers it at start.
"""

from __future__ import annotations

import os
from typing import Any

import psutil
from celery.worker.control import inspect_command


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
