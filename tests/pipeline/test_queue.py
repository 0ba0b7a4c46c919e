"""The one door to the queue: names that exist, no import circle, sends that survive a
broker outage, and an interactive worker that answers searches while the batch is busy."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from photos.kinds import KINDS
from photos.models import Album, ItemTag, Photo, ProcessingStatus
from photos.selectors.search import search_run
from photos.services import queue, vectors
from tests.pipeline.conftest import (
    ROOT,
    Process,
    ai_settings_set,
    queued_messages,
    redis_flush,
    statuses,
    subprocess_env,
    wait_until,
    worker_start,
)

SERVICE_SIDE = sorted(
    [*(ROOT / "photos/services").glob("*.py"), *(ROOT / "photos/selectors").glob("*.py")]
)
INTERACTIVE_TASKS = [queue.EMBED_QUERY_TASK, queue.SAMPLE_TEST_TASK, queue.EMBEDDING_UPDATE_TASK]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_services_never_import_tasks():
    offenders = [
        str(path.relative_to(ROOT))
        for path in SERVICE_SIDE
        if {"photos.tasks", "photos.tasks.*"} & imported_modules(path)
        or any(name.startswith("photos.tasks.") for name in imported_modules(path))
    ]
    assert offenders == []
    assert "photos.services.processing" in imported_modules(ROOT / "photos/tasks.py")


def test_every_name_the_queue_sends_is_a_task_routed_to_its_queue():
    from photo_album.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    kinds = [kind.process_task for kind in KINDS.values()]
    names = [queue.ROUND_TRIP_TASK, *INTERACTIVE_TASKS, *kinds]
    assert set(names) <= set(app.tasks)

    def queue_of(name: str) -> str:
        return app.amqp.router.route({}, name)["queue"].name

    assert {queue_of(name) for name in INTERACTIVE_TASKS} == {queue.INTERACTIVE_QUEUE}
    assert {queue_of(name) for name in [*kinds, queue.ROUND_TRIP_TASK]} == {queue.BATCH_QUEUE}
    # Results are kept only where a caller reads them.
    keeps = {name for name in names if not app.tasks[name].ignore_result}
    assert keeps == {queue.ROUND_TRIP_TASK, queue.EMBED_QUERY_TASK, queue.SAMPLE_TEST_TASK}


# --- a broker outage ------------------------------------------------------------------

EDIT_SCRIPT = """
import sys, django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
client.force_login(get_user_model().objects.get(pk=int(sys.argv[1])))
print(client.post(sys.argv[2], {"name": "chelsea"}).status_code)
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: nothing listens there


def completed_photo(album: Album, description: str, **fields) -> Photo:
    return Photo.objects.create(
        album=album,
        uploader=album.owner,
        original="originals/test/missing.jpg",
        original_filename="IMG_0001.jpg",
        content_type="image/jpeg",
        size_bytes=1,
        checksum_sha256=f"{time.monotonic_ns():064d}",
        processing_status=ProcessingStatus.COMPLETED,
        ai_description=description,
        **fields,
    )


@pytest.mark.django_db(transaction=True)  # the web process in a subprocess sees committed rows
def test_a_committed_tag_edit_survives_a_broker_outage(album, media_root):
    photo = completed_photo(album, "A tabby cat on a rug.", embedding=b"\0" * 1536)
    down = f"redis://127.0.0.1:{closed_port()}/0"
    env = subprocess_env(media_root, CELERY_BROKER_URL=down, CELERY_RESULT_BACKEND=down)
    url = reverse("item-tag-add", args=[photo.kind, photo.pk])

    done = subprocess.run(
        [sys.executable, "-c", EDIT_SCRIPT, str(album.owner.pk), url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "302"  # the edit is saved and the page answers
    assert "Broker unreachable, 1 of 1 embedding refresh(es) not sent" in done.stderr
    assert ItemTag.objects.filter(item=photo, tag__name="chelsea").exists()
    photo.refresh_from_db()
    assert photo.embedding is None  # the row says the refresh is still owed

    # The broker is back: the sweep finds the item and queues its refresh (on the
    # batch queue, where a backlog cannot delay a search).
    redis_flush()
    from photos.tasks import sweep_pending_items_task

    assert sweep_pending_items_task() == 1
    assert queued_messages(queue.BATCH_QUEUE) == [
        (queue.EMBEDDING_UPDATE_TASK, f"['photo', {photo.pk}]")
    ]


# --- search while the batch holds every processing slot ----------------------------------


@pytest.fixture(scope="module")
def hold_file(worker_dir) -> Iterator[Path]:
    path = worker_dir / "hold"
    path.touch()
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def batch_worker(real_worker, django_db_setup, worker_dir, worker_media, hold_file):
    """The main worker as deployed: queue `celery`, one slot, holding whatever it claims."""
    redis_flush()
    process = worker_start(
        worker_media, worker_dir, queues="celery", AI_TEST_HOLD_FILE=str(hold_file)
    )
    yield process
    process.kill()  # it holds an item for ever; a warm shutdown would wait for it


@pytest.fixture(scope="module")
def interactive_worker(real_worker, django_db_setup, worker_dir, worker_media) -> Iterator[Process]:
    process = worker_start(worker_media, worker_dir, queues="interactive", concurrency=1)
    yield process
    process.stop()


@pytest.mark.django_db(transaction=True)
def test_a_search_answers_while_the_batch_holds_every_slot(
    batch_worker, interactive_worker, album, upload_photo
):
    cat = completed_photo(album, "A tabby cat asleep on a rug.")
    vectors.item_embedding_stale(cat)  # an edit: the interactive worker embeds it
    wait_until(
        lambda: Photo.objects.filter(pk=cat.pk, embedding__isnull=False).exists(),
        timeout=120,
        what="the interactive worker to embed the item (it loads the model first)",
    )
    ai_settings_set(auto_process_on_upload=True)
    batch = [upload_photo().pk, upload_photo().pk]  # one held in the only slot, one queued
    wait_until(
        lambda: ProcessingStatus.PROCESSING in statuses(Photo, batch).values(),
        timeout=60,
        what="the batch worker to claim a photo",
    )
    vectors.index_cache_clear()

    started = time.monotonic()
    result = search_run(user=album.owner, query="kitty")
    took = time.monotonic() - started

    # Found by meaning ("kitty" is none of its words), so the query was embedded in time.
    assert not result.meaning_skipped
    assert [item.pk for item in result.items] == [cat.pk]
    assert sorted(statuses(Photo, batch).values()) == ["pending", "processing"]  # still busy
    received = f"Task {queue.EMBED_QUERY_TASK}["
    assert received in interactive_worker.log()
    assert received not in batch_worker.log()
    print(f"search with the batch busy: {took * 1000:.0f} ms")
