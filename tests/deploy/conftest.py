"""Fixtures for the deployment tests: a test database, the installed env file, units run."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from deploy_helpers import (
    DEPLOY,
    REPO,
    TEST_BROKER_URL,
    TEST_DB_NAME,
    exec_start,
    read_env_file,
    server_paths,
    substitute,
    unit_defaults,
)


@pytest.fixture(scope="session")
def test_database_url() -> str:
    """A migrated database of its own, so beat's schedule rows touch no other test."""
    url = urlsplit(os.environ["DATABASE_URL"])
    admin_url = urlunsplit(url._replace(path="/postgres"))
    # One per base database: checkouts on other branches (other migrations) share the server.
    name = f"{TEST_DB_NAME}_{url.path.strip('/')}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(url._replace(path="/" + name))


@pytest.fixture(scope="session")
def installed_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The env file deploy/install.sh writes for a new server."""
    root = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [DEPLOY / "install.sh", "--prefix", root, "--domain", "photos.example.org"],
        check=True,
        capture_output=True,
    )
    return root / "etc/photo-album/photo-album.env"


@pytest.fixture
def service_env(
    tmp_path: Path, installed_env_file: Path, test_database_url: str
) -> Callable[[str], dict[str, str]]:
    """The environment a unit runs with, pointed at the test database and Redis."""
    paths = server_paths(tmp_path)
    (tmp_path / "log").mkdir()
    redis.Redis.from_url(TEST_BROKER_URL).flushdb()

    def build(unit: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(unit_defaults(unit))
        env.update({k: substitute(v, paths) for k, v in read_env_file(installed_env_file).items()})
        env.update(
            DATABASE_URL=test_database_url,
            CELERY_BROKER_URL=TEST_BROKER_URL,
            CELERY_RESULT_BACKEND=TEST_BROKER_URL,
            HTTPS="false",
            ALLOWED_HOSTS="127.0.0.1",
        )
        return env

    return build


@pytest.fixture
def start_unit(
    tmp_path: Path, service_env: Callable[[str], dict[str, str]]
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a unit's ExecStart as a subprocess in the checkout; killed at teardown."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(unit: str, **overrides: str) -> subprocess.Popen[bytes]:
        env = service_env(unit) | overrides
        argv = exec_start(unit, env, server_paths(tmp_path))
        with open(tmp_path / f"{unit}.out", "wb") as output:
            proc = subprocess.Popen(
                argv, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
