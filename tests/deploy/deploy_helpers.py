"""Helpers for the deployment tests: read the files in deploy/ and run what they run.

Fixtures are in conftest.py next to this module.

The units, logrotate and nginx configs name the server's paths (/opt/photo-album,
/var/log/celery, /var/lib/photo-album). The tests substitute this checkout and
temporary folders for them, and otherwise run the command lines as written.
"""

from __future__ import annotations

import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from celery import Celery

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VENV = REPO / ".venv"
TEST_BROKER_URL = "redis://127.0.0.1:6379/13"
TEST_DB_NAME = "photo_album_deploy_test"


def unit_settings(name: str) -> list[tuple[str, str]]:
    """(key, value) pairs of a unit file, continuation lines joined, in order."""
    text = (DEPLOY / "systemd" / name).read_text()
    text = re.sub(r"\\\n\s*", " ", text)
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        pairs.append((key.strip(), value.strip()))
    return pairs


def unit_value(name: str, key: str) -> str:
    values = [value for k, value in unit_settings(name) if k == key]
    assert len(values) == 1, f"{name}: expected one {key}=, found {values}"
    return values[0]


def unit_defaults(name: str) -> dict[str, str]:
    """The Environment= defaults of a unit (the env file overrides them)."""
    env = {}
    for key, value in unit_settings(name):
        if key == "Environment":
            var, _, val = value.partition("=")
            env[var] = val
    return env


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def server_paths(tmp: Path) -> dict[str, str]:
    """The server's paths, mapped to this checkout and a temporary root."""
    return {
        "/opt/photo-album/.venv": str(VENV),
        "/opt/photo-album": str(REPO),
        "/var/log/celery": str(tmp / "log"),
        "/var/lib/photo-album": str(tmp / "data"),
    }


def substitute(text: str, paths: dict[str, str]) -> str:
    for server_path, local_path in paths.items():
        text = text.replace(server_path, local_path)
    return text


def exec_start(name: str, env: dict[str, str], paths: dict[str, str]) -> list[str]:
    """A unit's ExecStart as argv: systemd's ${VAR} and %H expanded, paths local."""
    line = substitute(unit_value(name, "ExecStart"), paths)
    line = line.replace("%H", "deploytest-" + socket.gethostname())

    def expand(match: re.Match[str]) -> str:
        assert match[1] in env, f"{name}: ${{{match[1]}}} is set neither by the unit nor env file"
        return env[match[1]]

    return shlex.split(re.sub(r"\$\{(\w+)\}", expand, line))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until true. An exception counts as "not yet" (a server still starting refuses
    the connection, a pid file is half written) and is shown if time runs out."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as error:  # noqa: BLE001 - any error means "not ready yet"
            last_error = error
        time.sleep(0.2)
    detail = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
    pytest.fail(f"timed out after {timeout}s waiting for {what}{detail}")


def file_contains(path: Path, text: str) -> Callable[[], bool]:
    return lambda: path.exists() and text in path.read_text(errors="replace")


def stop(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """SIGTERM, as systemd's KillSignal=, and the exit code within timeout."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def broker_client(monkeypatch: pytest.MonkeyPatch) -> Celery:
    """A Celery client on the test broker (Celery lets the environment's URLs win)."""
    monkeypatch.setenv("CELERY_BROKER_URL", TEST_BROKER_URL)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", TEST_BROKER_URL)
    return Celery(broker=TEST_BROKER_URL, backend=TEST_BROKER_URL)
