"""Is a GPU worker online? It keeps a short-lived key in Redis while it is.

A worker started with PHOTO_ALBUM_GPU=1 that finds working CUDA consumes the `gpu`
queue and refreshes GPU_HEARTBEAT_KEY every GPU_HEARTBEAT_TTL / 3 seconds, each time
for GPU_HEARTBEAT_TTL seconds (photos.gpu_worker). The queue door sends AI work to
`gpu` while the key exists, to `celery` otherwise. The key's lifetime is kept by
Redis's clock, not compared with a time the worker wrote: a GPU machine whose clock is
off cannot look alive when it is gone, or gone when it is alive.

A GPU worker that dies stops refreshing the key: within GPU_HEARTBEAT_TTL seconds new
work goes to the CPU queue again, and what it left behind comes back through the
sweep and the reaper, which send by the same rule.
"""

from __future__ import annotations

import logging
import threading

import redis
from django.conf import settings

from photos.services.beat import heartbeat_client

logger = logging.getLogger(__name__)

GPU_HEARTBEAT_KEY = "photo-album:gpu-worker"


def gpu_heartbeat_record(worker: str) -> None:
    """One beat: `worker` (its host name) is online for the next GPU_HEARTBEAT_TTL seconds."""
    heartbeat_client().set(GPU_HEARTBEAT_KEY, worker, ex=settings.GPU_HEARTBEAT_TTL)


def gpu_heartbeat_forget(worker: str) -> None:
    """At a warm shutdown: stop routing to `gpu` now rather than when the key runs out.

    Only this worker's own beat is removed; another GPU worker's beat, if it wrote the
    last one, is left (it writes again within a third of the TTL anyway).
    """
    client = heartbeat_client()
    if client.get(GPU_HEARTBEAT_KEY) == worker.encode():
        client.delete(GPU_HEARTBEAT_KEY)


def gpu_worker_online() -> str | None:
    """The GPU worker that beat last, while its beat lasts; None when none is online or
    Redis cannot say (then a send fails anyway, and the sweep sends again)."""
    try:
        raw = heartbeat_client().get(GPU_HEARTBEAT_KEY)
    except redis.RedisError:
        return None
    if raw is None:
        return None
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


class GpuHeartbeat:
    """Beats for `worker` every GPU_HEARTBEAT_TTL / 3 seconds until stop() (a daemon thread).

    Runs in the worker's main process: the one that consumes the queue, so the beat
    stops when consuming stops. A Redis hiccup skips a beat and is logged, never fatal.
    """

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name="gpu-heartbeat", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        interval = settings.GPU_HEARTBEAT_TTL / 3
        while True:
            try:
                gpu_heartbeat_record(self.worker)
            except redis.RedisError as exc:
                logger.warning("GPU worker heartbeat not recorded: %s", exc)
            if self.stopped.wait(interval):
                return

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        try:
            gpu_heartbeat_forget(self.worker)
        except redis.RedisError as exc:
            logger.warning("GPU worker heartbeat not removed (it runs out by itself): %s", exc)
