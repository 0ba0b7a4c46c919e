"""The systemd units: valid for systemd, and their ExecStart lines really run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from deploy_helpers import (
    DEPLOY,
    REPO,
    VENV,
    broker_client,
    file_contains,
    free_port,
    server_paths,
    stop,
    substitute,
    unit_defaults,
    unit_settings,
    unit_value,
    wait_for,
)
from django.conf import settings

UNITS = [
    "photo-album-web.service",
    "photo-album-celery-worker.service",
    "photo-album-celery-interactive.service",
    "photo-album-celery-beat.service",
    "photo-album-celery-gpu.service",
]
WORKERS = [
    "photo-album-celery-worker.service",
    "photo-album-celery-interactive.service",
    "photo-album-celery-gpu.service",
]


def test_it_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart's executable exists, so the copies point
    # at this checkout's .venv instead of /opt/photo-album's.
    systemd_analyze = shutil.which("systemd-analyze")
    assert systemd_analyze, "systemd-analyze missing: scripts/install --test installs systemd"
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        (tmp_path / unit).write_text(substitute(text, server_paths(tmp_path)))
    result = subprocess.run(
        [systemd_analyze, "verify", *(str(tmp_path / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


@pytest.mark.parametrize("unit", UNITS)
def test_it_restarts_and_starts_on_boot_as_the_service_user(unit: str) -> None:
    assert unit_value(unit, "Restart") == "always"
    assert unit_value(unit, "WantedBy") == "multi-user.target"
    assert unit_value(unit, "User") == "photo-album"
    assert unit_value(unit, "EnvironmentFile") == "/etc/photo-album/photo-album.env"
    assert unit_value(unit, "WorkingDirectory") == "/opt/photo-album"
    for key in ("After", "Wants"):
        assert {"redis-server.service", "postgresql.service"} <= set(unit_value(unit, key).split())


@pytest.mark.parametrize("unit", WORKERS)
def test_it_stops_the_worker_warmly_after_the_task_time_limit(unit: str) -> None:
    assert unit_value(unit, "KillSignal") == "SIGTERM"
    # Only the main process gets SIGTERM; pool children would die mid-task.
    assert unit_value(unit, "KillMode") == "mixed"
    hard_limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or settings.AI_PROCESSING_TIMEOUT
    assert int(unit_value(unit, "TimeoutStopSec")) > hard_limit


def test_it_takes_worker_concurrency_and_memory_ceiling_from_settings() -> None:
    unit = "photo-album-celery-worker.service"
    command = unit_value(unit, "ExecStart")
    assert "--concurrency ${CELERY_WORKER_CONCURRENCY}" in command
    assert "--max-memory-per-child ${CELERY_WORKER_MAX_MEMORY_PER_CHILD}" in command
    defaults = unit_defaults(unit)
    assert int(defaults["CELERY_WORKER_CONCURRENCY"]) >= 1
    assert int(defaults["CELERY_WORKER_MAX_MEMORY_PER_CHILD"]) > 0


def test_it_splits_the_queues_between_the_batch_and_the_interactive_worker() -> None:
    batch = unit_value("photo-album-celery-worker.service", "ExecStart")
    interactive = unit_value("photo-album-celery-interactive.service", "ExecStart")
    assert "--queues celery " in batch
    assert "--queues interactive " in interactive
    # One small process; a distinct name, so both answer the inspect on one host.
    assert "--concurrency 1 " in interactive
    assert "--hostname photo-album-interactive@%H" in interactive
    assert set(settings.CELERY_TASK_QUEUES) == {"celery", "interactive"}
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "celery"


def test_the_gpu_worker_is_one_process_taking_one_message_at_a_time() -> None:
    unit = "photo-album-celery-gpu.service"
    command = unit_value(unit, "ExecStart")
    # `gpu` is added at start, only when CUDA works (photos.gpu_worker).
    assert "--queues celery " in command
    assert "--concurrency 1 " in command
    assert "--prefetch-multiplier 1 " in command
    assert "--hostname photo-album-gpu@%H" in command
    assert "--max-memory-per-child ${CELERY_GPU_WORKER_MAX_MEMORY_PER_CHILD}" in command
    defaults = unit_defaults(unit)
    assert defaults["PHOTO_ALBUM_GPU"] == "1"
    # A CUDA process holds more host memory than the CPU worker's ceiling before any model.
    cpu_ceiling = unit_defaults("photo-album-celery-worker.service")
    assert int(defaults["CELERY_GPU_WORKER_MAX_MEMORY_PER_CHILD"]) > int(
        cpu_ceiling["CELERY_WORKER_MAX_MEMORY_PER_CHILD"]
    )
    # Only this unit's worker may become a GPU worker.
    for other in set(UNITS) - {unit}:
        assert "PHOTO_ALBUM_GPU" not in unit_defaults(other)


def test_it_logs_celery_to_var_log_celery() -> None:
    assert "--logfile /var/log/celery/worker.log" in unit_value(
        "photo-album-celery-worker.service", "ExecStart"
    )
    assert "--logfile /var/log/celery/beat.log" in unit_value(
        "photo-album-celery-beat.service", "ExecStart"
    )
    assert "--logfile /var/log/celery/interactive.log" in unit_value(
        "photo-album-celery-interactive.service", "ExecStart"
    )
    assert "--logfile /var/log/celery/gpu.log" in unit_value(
        "photo-album-celery-gpu.service", "ExecStart"
    )
    assert all(key != "ExecStartPre" for key, _ in unit_settings("photo-album-web.service"))


@pytest.mark.worker
@pytest.mark.parametrize(
    ("unit", "queue", "log_name"),
    [
        ("photo-album-celery-worker.service", "celery", "worker.log"),
        ("photo-album-celery-interactive.service", "interactive", "interactive.log"),
    ],
)
def test_it_starts_worker_from_unit_execstart(
    unit: str,
    queue: str,
    log_name: str,
    tmp_path: Path,
    start_unit: Callable[..., subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = start_unit(unit)
    log = tmp_path / "log" / log_name
    wait_for(file_contains(log, " ready."), 60, f"the worker's 'ready' line in {log_name}")

    client = broker_client(monkeypatch)
    # ignore_result=False: the app ignores results unless asked (CELERY_TASK_IGNORE_RESULT).
    # Each pool process loads the AI models before its first task (photos.worker_init):
    # ~5 s alone, several times that on a busy machine.
    task = client.send_task("celery.accumulate", args=[42], queue=queue, ignore_result=False)
    assert task.get(timeout=120) == [42]

    assert stop(worker, timeout=30) == 0
    assert "Warm shutdown" in (tmp_path / f"{unit}.out").read_text()


@pytest.mark.worker
def test_the_gpu_unit_without_cuda_starts_a_worker_on_the_cpu_queue(
    tmp_path: Path,
    start_unit: Callable[..., subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CUDA hidden, so a GPU machine tests the same fallback.
    worker = start_unit("photo-album-celery-gpu.service", CUDA_VISIBLE_DEVICES="")
    log = tmp_path / "log" / "gpu.log"
    wait_for(file_contains(log, " ready."), 60, "the worker's 'ready' line in gpu.log")

    client = broker_client(monkeypatch)
    task = client.send_task("celery.accumulate", args=[42], queue="celery", ignore_result=False)
    assert task.get(timeout=120) == [42]
    assert "no working CUDA device was found" in log.read_text()

    assert stop(worker, timeout=30) == 0


@pytest.mark.worker
def test_it_starts_beat_from_unit_execstart(
    tmp_path: Path,
    start_unit: Callable[..., subprocess.Popen[bytes]],
    service_env: Callable[[str], dict[str, str]],
) -> None:
    # The scheduler keeps its schedule in the database.
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO,
        env=service_env("photo-album-celery-beat.service"),
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    beat = start_unit("photo-album-celery-beat.service")
    log = tmp_path / "log" / "beat.log"
    wait_for(file_contains(log, "beat: Starting..."), 60, "'beat: Starting...' in beat.log")
    # SIGTERM while the scheduler is still writing its schedule can hang beat
    # (its handler syncs to the database from inside a psycopg call; systemd's
    # TimeoutStopSec then kills it), so stop it once its first tick is done.
    wait_for(file_contains(log, "Schedule changed"), 30, "beat's first tick")
    assert beat.poll() is None, (tmp_path / "photo-album-celery-beat.service.out").read_text()
    assert stop(beat, timeout=30) == 0


def test_it_starts_gunicorn_from_unit_execstart(
    tmp_path: Path,
    start_unit: Callable[..., subprocess.Popen[bytes]],
    service_env: Callable[[str], dict[str, str]],
) -> None:
    # DEBUG is off, so templates need the hashed names collectstatic records.
    subprocess.run(
        [VENV / "bin/python", "manage.py", "collectstatic", "--noinput"],
        cwd=REPO,
        env=service_env("photo-album-web.service"),
        check=True,
        capture_output=True,
    )
    port = free_port()
    web = start_unit("photo-album-web.service", GUNICORN_BIND=f"127.0.0.1:{port}")

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return web.poll() is not None  # stop waiting if it died

    wait_for(answers, 30, "gunicorn to answer /admin/login/")
    assert web.poll() is None, (tmp_path / "photo-album-web.service.out").read_text()
    # No control socket (gunicorn 25 opens ~/.gunicorn/gunicorn.ctl unless told not to).
    sockets = [c.laddr for c in psutil.Process(web.pid).net_connections(kind="unix")]
    assert not [path for path in sockets if "gunicorn" in str(path)], sockets
    assert stop(web, timeout=30) == 0


def test_the_procfile_web_process_opens_no_control_socket() -> None:
    web = next(
        line for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "--no-control-socket" in web
