"""A real pipeline: `celery worker` (and `celery beat`) subprocesses on Redis and PostgreSQL.

The worker sees the test database (pytest-django's `test_<name>`) and the
same MEDIA_ROOT as the test, so tests use `transactional_db`: data must be
committed for another process to see it. Redis is the dedicated database of
CELERY_BROKER_URL (scripts/test: 15), flushed when a worker starts.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery import Task
from celery.result import AsyncResult
from django.conf import settings

from photos.models import AISettings, MediaItem, Photo
from photos.services.ai_settings import ai_settings_get
from photos.services.uploads import photo_create, video_create
from tests.samples import jpeg_bytes, mp4_bytes

ROOT = Path(__file__).resolve().parents[2]
# Sample photographs the engine reads well; quality varies the bytes (uploads are deduplicated).
SAMPLE_NAMES = ("chelsea", "coffee", "astronaut", "rocket", "camera")


def broker_url() -> str:
    url = settings.CELERY_BROKER_URL
    if url.rstrip("/").endswith("/0") or re.fullmatch(r"redis://[^/]+/?", url):
        pytest.exit("Point CELERY_BROKER_URL at a dedicated Redis database (scripts/test: /15).", 2)
    return url


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def subprocess_env(media_root: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "photo_album.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "HTTPS": "false",
        "ORT_DISABLE_TELEMETRY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class Process:
    """A celery subprocess in its own process group, its output in a log file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "photo_album", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: SIGKILL reaches the pool children too
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.log()):
            if self.popen.poll() is not None:
                raise AssertionError(f"celery exited ({self.popen.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in the log:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no warm shutdown, no message given back."""
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log_file.close()


WARMED_UP = r"(?:AI models loaded and warmed up|AI warm-up failed)"


def worker_start(
    media_root: Path,
    log_dir: Path,
    *,
    concurrency: int = 1,
    queues: str = "celery,interactive",
    loglevel: str = "INFO",
    **env: str,
) -> Process:
    """A worker on `queues` (by default both, as a worker started without -Q).

    With AI_TEST_HOLD_FILE in `env`, it loads tests.pipeline.worker_hold: while
    that file exists, a claimed item waits before the engine.
    """
    name = f"pipeline-{uuid.uuid4().hex[:8]}"
    hold = ["--include", "tests.pipeline.worker_hold"] if "AI_TEST_HOLD_FILE" in env else []
    worker = Process(
        [
            "worker",
            "--loglevel",
            loglevel,
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--queues",
            queues,
            "--hostname",
            f"{name}@%h",
            "--without-mingle",
            "--without-gossip",
            *hold,
        ],
        env=subprocess_env(media_root, **env),
        log_path=log_dir / f"{name}.log",
    )
    worker.hostname = name  # type: ignore[attr-defined]
    try:
        if loglevel != "INFO":  # no INFO lines to wait for: the banner's queue list
            worker.wait_for_log(r"\[queues\]")
            return worker
        worker.wait_for_log(r"ready\.")
        # Each pool process loads the models as it starts (photos.worker_init) and takes no
        # task before it is done: wait for all of them, so a test's timeouts measure the item.
        worker.wait_for_log(rf"(?s)(?:{WARMED_UP}.*?){{{concurrency}}}", timeout=300)
    except AssertionError:
        worker.stop()  # or it would live on, taking later tests' messages
        raise
    return worker


def beat_start(media_root: Path, log_dir: Path, **env: str) -> Process:
    beat = Process(
        ["beat", "--loglevel", "DEBUG", "--scheduler", "photos.schedulers:AISettingsScheduler"],
        env=subprocess_env(media_root, **env),
        log_path=log_dir / f"beat-{uuid.uuid4().hex[:8]}.log",
    )
    beat.wait_for_log(r"beat: Starting")
    return beat


def redis_flush() -> None:
    redis.Redis.from_url(broker_url()).flushdb()


def queued_messages(queue_name: str) -> list[tuple[str, str]]:
    """(task name, args) of the messages waiting in a Redis queue."""
    raw = redis.Redis.from_url(broker_url()).lrange(queue_name, 0, -1)
    return [
        (message["headers"]["task"], message["headers"]["argsrepr"])
        for message in map(json.loads, raw)
    ]


@pytest.fixture(autouse=True)
def media_root(shared_media) -> Path:
    """The workers' MEDIA_ROOT (overrides the per-test folder of tests/conftest.py)."""
    return shared_media


def processing_log_count(log: str, kind: str, item_id: int) -> int:
    """How often a worker ran the engine for this item (it logs this line once per claim)."""
    return len(re.findall(rf"Processing {kind} ID: {item_id}$", log, flags=re.MULTILINE))


def ai_settings_set(**fields: object) -> AISettings:
    row = ai_settings_get()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> float:
    """Poll until true; returns the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def asked(task: Task, *args: object) -> AsyncResult:
    """Send the task asking for its result: the app ignores results unless a caller asks
    (CELERY_TASK_IGNORE_RESULT), and these tests read them."""
    return task.apply_async(args, ignore_result=False)


def statuses(model: type[MediaItem], ids: list[int]) -> dict[int, str]:
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "processing_status"))


def all_in(model: type[MediaItem], ids: list[int], status: str) -> Callable[[], bool]:
    return lambda: set(statuses(model, ids).values()) == {status} and len(ids) > 0


@pytest.fixture
def upload_photo(album) -> Callable[..., Photo]:
    counter = iter(range(10_000))

    def upload(name: str | None = None) -> Photo:
        n = next(counter)
        name = name or SAMPLE_NAMES[n % len(SAMPLE_NAMES)]
        # A different JPEG quality per upload: distinct bytes, so no duplicate refusal.
        data = jpeg_bytes(name, quality=95 - n % 60)
        return photo_create(
            album=album,
            uploader=album.owner,
            file=io.BytesIO(data),
            filename=f"{name}-{n}.jpg",
            size=len(data),
        )

    return upload


@pytest.fixture
def upload_video(album) -> Callable[..., MediaItem]:
    def upload() -> MediaItem:
        data = mp4_bytes(("chelsea", "coffee"))
        return video_create(
            album=album,
            uploader=album.owner,
            file=io.BytesIO(data),
            filename="clip.mp4",
            size=len(data),
        )

    return upload


@pytest.fixture(scope="module")
def worker(real_worker, django_db_setup, worker_dir, worker_media) -> Iterator[Process]:
    """One worker (2 pool processes) for a whole test module: starting one costs seconds."""
    redis_flush()
    process = worker_start(worker_media, worker_dir, concurrency=2)
    yield process
    process.stop()
