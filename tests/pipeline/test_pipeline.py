"""Uploads through a real worker: checklist tests 1-3 and 7, batches, duplicates, beat.

One worker (2 pool processes) serves the whole module; each test waits on the
database rows the worker writes and reads the worker's own log.
"""

from __future__ import annotations

import re
import time

import psutil
import pytest
from celery.schedules import crontab
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django_celery_beat.models import PeriodicTask

from photos.models import Photo, ProcessingStatus, Tag, TagSource, Video
from photos.services.schedule import schedule_sync
from tests.pipeline.conftest import (
    ai_settings_set,
    all_in,
    asked,
    beat_start,
    processing_log_count,
    statuses,
    wait_until,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DONE = (ProcessingStatus.COMPLETED, ProcessingStatus.FAILED)


def test_it_shows_the_worker_in_inspect(worker):
    # Checklist test 1, verbatim.
    from photo_album.celery import app

    result = app.control.inspect().active()
    assert result is not None
    assert any(name.startswith(worker.hostname) for name in result)


def test_it_runs_the_test_task_through_redis(worker):
    # Checklist test 2.
    from photos.tasks import test_celery_task

    result = test_celery_task.delay()
    assert result.id
    assert result.get(timeout=30) == "Celery is working!"
    assert result.status == "SUCCESS"


def test_it_processes_an_uploaded_photo_and_video(worker, upload_photo, upload_video):
    ai_settings_set(auto_process_on_upload=True)
    photo = upload_photo("chelsea")
    assert photo.processing_status == ProcessingStatus.PENDING
    assert photo.auto_process
    seen = watch_statuses(Photo, photo.pk, timeout=120)
    assert seen[-1] == ProcessingStatus.COMPLETED
    assert set(seen) <= {ProcessingStatus.PENDING, ProcessingStatus.PROCESSING, "completed"}

    video = upload_video()
    assert video.processing_status == ProcessingStatus.PENDING
    assert watch_statuses(Video, video.pk, timeout=120)[-1] == ProcessingStatus.COMPLETED

    for item in (Photo.objects.get(pk=photo.pk), Video.objects.get(pk=video.pk)):
        assert item.ai_description
        assert item.attempts == 1
        assert item.processing_started_at <= item.processed_at
        assert item.ai_analysis["description"] == item.ai_description
    log = worker.log()
    assert processing_log_count(log, "photo", photo.pk) == 1
    assert processing_log_count(log, "video", video.pk) == 1
    # The checklist's worker lines, in its order, for the photo.
    after = log[log.index(f"Processing photo ID: {photo.pk}") :]
    assert re.search(
        r"Loading AI models\.\.\.[\s\S]*Generating description\.\.\.[\s\S]*"
        r"Extracting tags\.\.\.[\s\S]*Task photos\.tasks\.process_photo_ai\[.*\] succeeded",
        after,
    ), after[:3000]


def test_it_tags_each_upload_with_5_to_10_tags(worker, upload_photo, upload_video):
    # The checklist: "AI tags created (5-10 relevant tags)"; how many is the engine's choice.
    ai_settings_set(auto_process_on_upload=True)
    items = [upload_photo("coffee"), upload_video()]
    for item in items:
        assert watch_statuses(type(item), item.pk, timeout=120)[-1] == ProcessingStatus.COMPLETED
    for item in items:
        names = [tag.name for tag in item.tags.all()]
        assert 5 <= len(names) <= 10, f"{item}: {names}"


def test_it_keeps_a_persons_tags_when_the_ai_retags(worker, upload_photo):
    ai_settings_set(auto_process_on_upload=False)
    photo = upload_photo("coffee")
    mine = Tag.objects.create(name="my favourite mug")
    photo.item_tags.create(tag=mine, source=TagSource.PERSON)
    old = Tag.objects.create(name="stale ai tag")
    photo.item_tags.create(tag=old, source=TagSource.AI)

    from photos.tasks import process_photo_ai

    assert asked(process_photo_ai, photo.pk).get(timeout=120) == "completed"
    tags = dict(photo.item_tags.values_list("tag__name", "source"))
    assert tags["my favourite mug"] == TagSource.PERSON
    assert "stale ai tag" not in tags
    assert TagSource.AI in tags.values()


def pool_database_ports(worker) -> set[int]:
    """The local ports of the PostgreSQL connections the worker's pool processes hold."""
    pg_port = int(connection.settings_dict.get("PORT") or 5432)
    return {
        conn.laddr.port
        for child in psutil.Process(worker.popen.pid).children()
        for conn in child.net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port == pg_port
    }


def test_its_pool_processes_keep_one_database_connection_each(worker, upload_photo):
    # A connection per item would cost each a PostgreSQL start-up and cold caches.
    ai_settings_set(auto_process_on_upload=True)
    finished = r"Task photos\.tasks\.process_photo_ai\[.*\] succeeded"
    seen: set[int] = set()
    for name in ("coffee", "rocket", "chelsea", "camera"):
        done_before = len(re.findall(finished, worker.log()))
        photo = upload_photo(name)
        wait_until(
            lambda before=done_before: len(re.findall(finished, worker.log())) > before,
            timeout=120,
            what=f"photo {photo.pk}",
        )
        between_items = pool_database_ports(worker)
        assert between_items, "the pool closed its connection after the item"
        seen |= between_items
    assert len(seen) <= 2  # one per pool process, however many items


def test_it_leaves_items_pending_when_auto_process_is_off(worker, upload_photo):
    ai_settings_set(auto_process_on_upload=False, batch_size=2)
    ids = [upload_photo().pk for _ in range(3)]
    time.sleep(2)
    assert set(statuses(Photo, ids).values()) == {ProcessingStatus.PENDING}

    from photos.tasks import process_pending_photos_task

    # The batch takes the oldest two only (batch size 2).
    assert asked(process_pending_photos_task).get(timeout=30) == 2
    wait_until(all_in(Photo, ids[:2], "completed"), timeout=120, what="the batch")
    assert statuses(Photo, ids[2:]) == {ids[2]: ProcessingStatus.PENDING}
    assert "Queued 2 pending photos for AI processing (batch size 2)" in worker.log()

    assert asked(process_pending_photos_task).get(timeout=30) == 1
    wait_until(all_in(Photo, ids, "completed"), timeout=120, what="the second batch")


def test_it_marks_missing_file_failed(worker, upload_photo):
    ai_settings_set(auto_process_on_upload=False)
    missing, corrupt, good = upload_photo(), upload_photo(), upload_photo()
    default_storage.delete(missing.original.name)
    # Overwrite through the storage API: same name, bytes no decoder accepts.
    default_storage.delete(corrupt.original.name)
    default_storage.save(corrupt.original.name, ContentFile(b"\xff\xd8\xff not a jpeg at all"))

    from photos.tasks import process_photo_ai

    assert asked(process_photo_ai, missing.pk).get(timeout=120) == "failed"
    assert asked(process_photo_ai, corrupt.pk).get(timeout=120) == "failed"
    assert asked(process_photo_ai, good.pk).get(timeout=120) == "completed"

    missing.refresh_from_db()
    corrupt.refresh_from_db()
    assert missing.processing_status == ProcessingStatus.FAILED
    assert "missing" in missing.processing_error
    assert corrupt.processing_status == ProcessingStatus.FAILED
    assert corrupt.processing_error
    assert worker.alive


def test_it_processes_25_uploads_once_each(worker, upload_photo):
    ai_settings_set(auto_process_on_upload=True)
    ids = [upload_photo().pk for _ in range(25)]
    took = wait_until(all_in(Photo, ids, "completed"), timeout=240, what="25 uploads")
    log = worker.log()
    # The engine runs once per claim, and each claim logs this line once.
    assert [processing_log_count(log, "photo", pk) for pk in ids] == [1] * 25
    assert set(Photo.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    assert worker.alive
    print(f"25 uploads completed in {took:.1f}s")


def test_it_does_the_work_once_when_delivered_twice(worker, upload_photo):
    ai_settings_set(auto_process_on_upload=False)
    photo = upload_photo()

    from photos.tasks import process_photo_ai

    # Two deliveries at once, one per pool process: only one may claim the row.
    first, second = asked(process_photo_ai, photo.pk), asked(process_photo_ai, photo.pk)
    outcomes = sorted([first.get(timeout=120), second.get(timeout=120)])
    assert outcomes == ["completed", "skipped"]
    assert processing_log_count(worker.log(), "photo", photo.pk) == 1
    # And a third, late, delivery of a finished item changes nothing.
    assert asked(process_photo_ai, photo.pk).get(timeout=30) == "skipped"
    photo.refresh_from_db()
    assert photo.attempts == 1


def test_it_schedules_the_batch_at_2am(worker):
    from photo_album.celery import app

    schedule = app.conf.beat_schedule
    for name in ("process_pending_photos", "process_pending_videos"):
        assert schedule[name]["schedule"] == crontab(hour=2, minute=0)


def test_it_follows_the_ai_settings_hour_across_beat_restarts(worker, worker_dir, worker_media):
    schedule_sync(ai_settings_set(schedule_hour=5, schedule_minute=30))
    assert batch_hours() == {("5", "30")}

    beat = beat_start(worker_media, worker_dir)
    try:
        # At start beat copies CELERY_BEAT_SCHEDULE (02:00) in; the AISettings time must win.
        beat.wait_for_log(r"Ticking with max interval")
        assert batch_hours() == {("5", "30")}
        # Edited while beat runs (as /ai-settings/ does): applied at the next tick.
        ai_settings_set(schedule_hour=6, schedule_minute=15)
        wait_until(lambda: batch_hours() == {("6", "15")}, timeout=20, what="beat's tick")
    finally:
        beat.stop()

    beat = beat_start(worker_media, worker_dir)
    try:
        beat.wait_for_log(r"Ticking with max interval")
        time.sleep(1)
        assert batch_hours() == {("6", "15")}
    finally:
        beat.stop()


def test_it_skips_the_batch_when_scheduled_processing_is_off(worker, upload_photo):
    ai_settings_set(auto_process_on_upload=False, scheduled_processing_enabled=False)
    photo = upload_photo()

    from photos.tasks import process_pending_photos_task, process_pending_videos_task

    assert asked(process_pending_photos_task).get(timeout=30) == 0
    assert asked(process_pending_videos_task).get(timeout=30) == 0
    time.sleep(1)
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.PENDING
    assert "Scheduled processing is off; skipped pending photos" in worker.log()


def batch_hours() -> set[tuple[str, str]]:
    return set(
        PeriodicTask.objects.filter(
            name__in=["process_pending_photos", "process_pending_videos"]
        ).values_list("crontab__hour", "crontab__minute")
    )


def watch_statuses(model, pk: int, *, timeout: float) -> list[str]:
    """Every distinct status the row shows, in order, until it is done."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = model.objects.filter(pk=pk).values_list("processing_status", flat=True).get()
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in DONE:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{model.__name__} {pk} not done after {timeout}s: {seen}")
