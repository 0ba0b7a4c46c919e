"""A worker started with PHOTO_ALBUM_GPU=1 becomes a GPU worker if it finds working CUDA.

At start (celeryd_after_setup, in the main process, before it consumes anything) it asks
`python -m ai_engine.cuda` in a throwaway process: CUDA initialised in this process
would be unusable in the pool processes it forks. With a GPU, the worker adds the `gpu`
queue to those it was given (-Q), and once ready beats a heartbeat into Redis until it
shuts down (photos.services.gpu); the queue door sends AI work to `gpu` while the beat
lasts. Without one, it logs so and stays the CPU worker its -Q makes it: it neither
consumes `gpu` nor advertises itself.

Connected in PhotosConfig.ready(); a worker without PHOTO_ALBUM_GPU does nothing here.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from celery.signals import celeryd_after_setup, worker_ready, worker_shutdown
from django.conf import settings

if TYPE_CHECKING:
    from photos.services.gpu import GpuHeartbeat

logger = logging.getLogger(__name__)

CUDA_PROBE_TIMEOUT_S = 120  # importing torch and creating a CUDA context, on a slow disk

# This worker's heartbeat, once it has found a GPU and is ready (main process only).
_heartbeat: GpuHeartbeat | None = None
_gpu_name: str | None = None


def cuda_probe() -> str | None:
    """The GPU's name if a fresh process finds working CUDA; None otherwise."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ai_engine.cuda"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=CUDA_PROBE_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("CUDA check failed: %s", exc)
        return None
    lines = done.stdout.strip().splitlines()
    return lines[-1] if done.returncode == 0 and lines else None


@celeryd_after_setup.connect
def gpu_queue_add(sender: str, instance: Any, **_kwargs: object) -> None:
    global _gpu_name
    if not settings.PHOTO_ALBUM_GPU:
        return
    from photos.services.queue import GPU_QUEUE

    _gpu_name = cuda_probe()
    if _gpu_name is None:
        logger.warning(
            "PHOTO_ALBUM_GPU is set but no working CUDA device was found: this worker "
            "serves the CPU queue only and does not advertise itself as a GPU worker"
        )
        return
    instance.app.amqp.queues.select_add(GPU_QUEUE)
    logger.info("GPU worker on %s: consuming the %r queue too", _gpu_name, GPU_QUEUE)


@worker_ready.connect
def gpu_heartbeat_start(sender: Any, **_kwargs: object) -> None:
    global _heartbeat
    if _gpu_name is None:
        return
    from photos.services.gpu import GpuHeartbeat

    _heartbeat = GpuHeartbeat(sender.hostname)
    _heartbeat.start()
    logger.info("GPU worker %s online: AI work is now sent to it", sender.hostname)


@worker_shutdown.connect
def gpu_heartbeat_stop(**_kwargs: object) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
