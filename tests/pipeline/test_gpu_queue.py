"""The GPU queue: AI work goes to `gpu` while a GPU worker's heartbeat lasts, to `celery`
otherwise, and what a lost GPU worker left behind completes on a CPU worker.

This machine has no GPU. A worker consuming `gpu` stands in for a GPU worker, and the
heartbeat is beaten with the code a GPU worker runs (photos.services.gpu); the worker
started with PHOTO_ALBUM_GPU=1 is shown its machine without CUDA (CUDA_VISIBLE_DEVICES
empty), so the fallback is tested the same way on a GPU machine. The test that needs a
real GPU worker is skipped without CUDA.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai_engine.cuda import cuda_device_name
from photos.models import Photo, ProcessingStatus
from photos.services import processing, queue
from photos.services.gpu import (
    GpuHeartbeat,
    gpu_heartbeat_forget,
    gpu_heartbeat_record,
    gpu_worker_online,
)
from tests.pipeline.conftest import (
    Process,
    ai_settings_set,
    all_in,
    queued_messages,
    redis_flush,
    statuses,
    wait_until,
    worker_start,
)

pytestmark = pytest.mark.django_db(transaction=True)

PROCESS_PHOTO = "photos.tasks.process_photo_ai"
CUDA = cuda_device_name() is not None
NO_CUDA = {"CUDA_VISIBLE_DEVICES": ""}
FALLBACK = "PHOTO_ALBUM_GPU is set but no working CUDA device was found"


@pytest.fixture(autouse=True)
def empty_broker(settings) -> None:
    redis_flush()  # no heartbeat, no message from an earlier test
    ai_settings_set(auto_process_on_upload=True)


def waiting(queue_name: str) -> list[str]:
    """The args of the process_photo_ai messages waiting in a queue."""
    return [args for task, args in queued_messages(queue_name) if task == PROCESS_PHOTO]


def test_ai_work_goes_to_the_gpu_queue_while_a_gpu_worker_beats(upload_photo):
    heartbeat = GpuHeartbeat("gpu-test@host")
    heartbeat.start()
    try:
        wait_until(lambda: gpu_worker_online() == "gpu-test@host", timeout=5, what="a beat")
        on_gpu = upload_photo()
    finally:
        heartbeat.stop()  # a warm shutdown: the beat is removed at once
    assert gpu_worker_online() is None
    on_cpu = upload_photo()

    assert waiting(queue.GPU_QUEUE) == [f"[{on_gpu.pk}]"]
    assert waiting(queue.BATCH_QUEUE) == [f"[{on_cpu.pk}]"]


def test_a_heartbeat_that_ran_out_sends_to_the_cpu_queue(upload_photo, settings):
    settings.GPU_HEARTBEAT_TTL = 1
    gpu_heartbeat_record("gpu-test@host")  # then never again: the worker died
    assert gpu_worker_online() == "gpu-test@host"
    wait_until(lambda: gpu_worker_online() is None, timeout=5, what="the beat to run out")

    photo = upload_photo()

    assert waiting(queue.BATCH_QUEUE) == [f"[{photo.pk}]"]
    assert waiting(queue.GPU_QUEUE) == []


def test_a_heartbeat_is_removed_only_by_the_worker_that_wrote_it():
    gpu_heartbeat_record("gpu-a@host")
    gpu_heartbeat_forget("gpu-b@host")  # another GPU worker's warm shutdown
    assert gpu_worker_online() == "gpu-a@host"


@pytest.fixture
def hold_file(worker_dir) -> Iterator[Path]:
    path = worker_dir / "gpu-hold"
    path.touch()
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def started(real_worker) -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        process.stop()


def test_what_a_lost_gpu_worker_left_completes_on_a_cpu_worker(
    started, worker_dir, worker_media, hold_file, upload_photo, settings
):
    settings.GPU_HEARTBEAT_TTL = 5
    settings.AI_SWEEP_AFTER = 0  # this process runs the sweep: any pending item is due
    # The stand-in GPU worker: consumes `gpu`, holds what it claims, and its lease runs
    # out 3 s after it dies.
    gpu = worker_start(
        worker_media,
        worker_dir,
        queues=queue.GPU_QUEUE,
        AI_TEST_HOLD_FILE=str(hold_file),
        AI_LEASE_SECONDS="3",
        AI_LEASE_RENEW_INTERVAL="1",
    )
    started.append(gpu)
    gpu_heartbeat_record(gpu.hostname)  # type: ignore[attr-defined]
    claimed, waits = upload_photo(), upload_photo()
    wait_until(
        lambda: statuses(Photo, [claimed.pk])[claimed.pk] == ProcessingStatus.PROCESSING,
        timeout=60,
        what="the GPU worker to claim the first photo",
    )
    assert waiting(queue.GPU_QUEUE) == [f"[{waits.pk}]"]  # behind the busy GPU worker

    gpu.kill()  # SIGKILL: no warm shutdown, its heartbeat is left to run out
    wait_until(lambda: gpu_worker_online() is None, timeout=10, what="the beat to run out")
    time.sleep(3)  # the claimed photo's lease runs out too
    # Beat's sweep and reaper, run here: both send again, by the same rule.
    assert processing.stale_pending_enqueue() == 1
    assert processing.expired_leases_reap() == 1
    assert sorted(waiting(queue.BATCH_QUEUE)) == sorted([f"[{claimed.pk}]", f"[{waits.pk}]"])

    # A worker started as a GPU worker on a machine without CUDA: it serves `celery`.
    cpu = worker_start(
        worker_media, worker_dir, queues=queue.BATCH_QUEUE, PHOTO_ALBUM_GPU="1", **NO_CUDA
    )
    started.append(cpu)
    wait_until(
        all_in(Photo, [claimed.pk, waits.pk], ProcessingStatus.COMPLETED),
        timeout=180,
        what="the CPU worker to complete both photos",
    )
    log = cpu.log()
    assert FALLBACK in log
    assert ".> celery " in log and ".> gpu " not in log  # the banner's queue list
    assert gpu_worker_online() is None  # it never advertised itself
    assert waiting(queue.GPU_QUEUE) == [f"[{waits.pk}]"]  # the stale copy, harmless


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_a_gpu_worker_with_cuda_consumes_the_gpu_queue_and_advertises(
    started, worker_dir, worker_media, upload_photo
):
    gpu = worker_start(worker_media, worker_dir, queues=queue.BATCH_QUEUE, PHOTO_ALBUM_GPU="1")
    started.append(gpu)
    assert gpu_worker_online() == f"{gpu.hostname}@{socket.gethostname()}"  # type: ignore[attr-defined]
    assert queue.ai_queue() == {"queue": queue.GPU_QUEUE}
    photo = upload_photo()
    wait_until(all_in(Photo, [photo.pk], ProcessingStatus.COMPLETED), timeout=120, what="done")
    log = gpu.log()
    assert "GPU worker on " in log and ".> gpu " in log
    assert f"Task {PROCESS_PHOTO}[" in log

    gpu.stop()  # warm shutdown: the heartbeat goes with it
    assert gpu_worker_online() is None
