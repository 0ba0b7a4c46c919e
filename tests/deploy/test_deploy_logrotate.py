"""Log rotation: logrotate accepts the config, and the worker keeps logging after it."""

from __future__ import annotations

import getpass
import grp
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from deploy_helpers import (
    DEPLOY,
    broker_client,
    file_contains,
    server_paths,
    stop,
    substitute,
    wait_for,
)


def local_config(tmp_path: Path) -> Path:
    """deploy/logrotate/photo-album, for the logs under tmp_path, rotated as us."""
    text = substitute((DEPLOY / "logrotate/photo-album").read_text(), server_paths(tmp_path))
    me = f"su {getpass.getuser()} {grp.getgrgid(os.getgid()).gr_name}"
    config = tmp_path / "logrotate.conf"
    config.write_text(text.replace("su photo-album photo-album", me))
    return config


def logrotate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.path.exists(binary), "logrotate missing: scripts/install --test installs it"
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True)


def test_it_keeps_two_weeks_compressed_with_copytruncate() -> None:
    text = (DEPLOY / "logrotate/photo-album").read_text()
    rotated = text.split("{")[0].split("\n")[-1].split()
    # Every log file a unit writes is rotated.
    logs = {
        match
        for unit in (DEPLOY / "systemd").glob("*.service")
        for match in re.findall(r"--logfile (\S+)", unit.read_text())
    }
    assert logs == {
        "/var/log/celery/worker.log",
        "/var/log/celery/interactive.log",
        "/var/log/celery/beat.log",
        "/var/log/celery/gpu.log",
    }
    assert set(rotated) == logs
    for directive in ("daily", "rotate 14", "compress", "copytruncate"):
        assert f"\n    {directive}\n" in text


def test_it_passes_logrotate_debug(tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    (tmp_path / "log/worker.log").write_text("a line\n")
    result = logrotate("-d", "-s", tmp_path / "state", local_config(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()


@pytest.mark.worker
def test_it_keeps_the_worker_logging_to_worker_log_after_rotation(
    tmp_path: Path,
    start_unit: Callable[..., subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = start_unit("photo-album-celery-worker.service")
    log = tmp_path / "log/worker.log"
    wait_for(file_contains(log, " ready."), 60, "the worker's 'ready' line in worker.log")

    result = logrotate("-f", "-s", tmp_path / "state", local_config(tmp_path))
    assert result.returncode == 0, result.stderr
    rotated = tmp_path / "log/worker.log.1"
    assert " ready." in rotated.read_text()
    assert log.stat().st_size == 0

    # ignore_result=False: the app ignores results unless asked (CELERY_TASK_IGNORE_RESULT).
    task = broker_client(monkeypatch).send_task("celery.accumulate", args=[7], ignore_result=False)
    assert task.get(timeout=120) == [7]  # after the pool's model warm-up
    wait_for(file_contains(log, f"{task.id}] succeeded"), 10, "the task's line in worker.log")
    content = log.read_bytes()
    # Append mode: the first write after the truncation lands at offset 0,
    # not at the old offset behind a run of NUL bytes.
    assert b"\0" not in content
    assert content.startswith(b"[")
    assert task.id not in rotated.read_text()
    assert stop(worker, timeout=30) == 0
