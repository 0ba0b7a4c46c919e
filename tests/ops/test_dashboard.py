"""/ops/, /ops/status.json, the bulk actions, item status and retry, and /metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from photos.models import ProcessingStatus, Video
from photos.selectors import ops


@pytest.fixture(autouse=True)
def one_worker(monkeypatch):
    report = ops.WorkersReport(
        workers=[
            ops.WorkerInfo(
                name="w1@host",
                pool="prefork",
                concurrency=2,
                tasks_running=1,
                queues=("celery", "interactive"),
            )
        ]
    )
    monkeypatch.setattr(ops, "workers_inspect", lambda **kwargs: report)


def items_sent(sends: list[tuple[str, list, dict]]) -> list[tuple[str, int]]:
    """(kind, id) of each item sent for processing."""
    prefix, suffix = "photos.tasks.process_", "_ai"
    return [
        (name.removeprefix(prefix).removesuffix(suffix), args[0])
        for name, args, _options in sends
        if name.startswith(prefix) and name.endswith(suffix)
    ]


@pytest.fixture
def staff_client(staff, client_for):
    return client_for(staff)


def test_its_counts_match_the_database(staff_client, make_item):
    now = timezone.now()
    make_item(ProcessingStatus.PENDING)
    make_item(ProcessingStatus.PENDING, model=Video)
    make_item(
        ProcessingStatus.COMPLETED,
        processing_started_at=now - timedelta(seconds=30),
        processed_at=now - timedelta(seconds=20),
        uploaded_ago=timedelta(seconds=60),
    )
    make_item(ProcessingStatus.FAILED, processing_error="The original file is missing.")

    data = staff_client.get(reverse("ops-status")).json()

    assert data["status_counts"]["photos"] == {
        "pending": 1,
        "processing": 0,
        "completed": 1,
        "failed": 1,
    }
    assert data["status_counts"]["videos"]["pending"] == 1
    assert data["completed_last_hour"] == 1
    assert 39 <= data["median_upload_to_completed_s"] <= 41
    assert data["failed_24h"] == {"photos": 1, "videos": 0}
    assert data["workers"][0]["name"] == "w1@host"
    assert "celery" in data["queues"]
    [failure] = data["recent_failures"]
    assert failure["error"] == "The original file is missing."
    assert failure["url"] == reverse("item-detail", args=["photo", failure["id"]])


def test_it_renders_the_no_worker_state_with_the_hint(staff_client, monkeypatch):
    monkeypatch.setattr(ops, "workers_inspect", lambda **kwargs: ops.WorkersReport())

    page = staff_client.get(reverse("ops-dashboard")).content.decode()

    assert "No worker is running." in page
    assert "systemctl start photo-album-celery-worker" in page


def test_it_shows_the_nightly_schedule(staff_client):
    staff_client.post(
        reverse("ai-settings"),
        {
            "scheduled_processing_enabled": "on",
            "schedule_hour": "3",
            "schedule_minute": "0",
            "batch_size": "500",
            "processing_timeout": "300",
            "backend": "offline",
            "max_tags": "10",
            "min_confidence": "0.2",
        },
    )

    nightly = staff_client.get(reverse("ops-status")).json()["nightly"]

    assert [entry["name"] for entry in nightly] == [
        "process_pending_photos",
        "process_pending_videos",
    ]
    assert all(entry["enabled"] and entry["next_run_at"] for entry in nightly)
    assert nightly[0]["next_run_at"][11:16] == "03:00"


def test_retry_all_failed_queues_them(
    staff_client, make_item, queue_sends, django_capture_on_commit_callbacks
):
    failed = make_item(ProcessingStatus.FAILED, processing_error="boom")
    done = make_item(ProcessingStatus.COMPLETED)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("ops-retry-failed"))

    assert response.status_code == 302
    assert items_sent(queue_sends) == [("photo", failed.pk)]
    failed.refresh_from_db()
    done.refresh_from_db()
    assert failed.processing_status == ProcessingStatus.PENDING
    assert done.processing_status == ProcessingStatus.COMPLETED


def test_process_all_pending_queues_them(
    staff_client, make_item, queue_sends, django_capture_on_commit_callbacks
):
    photo = make_item(ProcessingStatus.PENDING)
    video = make_item(ProcessingStatus.PENDING, model=Video)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("ops-process-pending"))

    assert sorted(items_sent(queue_sends)) == [("photo", photo.pk), ("video", video.pk)]


def test_item_status_json_has_status_error_description_and_tags(make_item, owner, client_for):
    item = make_item(ProcessingStatus.FAILED, processing_error="Timed out after 10 s")

    data = client_for(owner).get(reverse("item-status", args=["photo", item.pk])).json()

    assert data["status"] == "failed"
    assert data["error"] == "Timed out after 10 s"
    assert data["description"] == ""
    assert data["tags"] == []


@pytest.mark.parametrize("status", [ProcessingStatus.FAILED, ProcessingStatus.COMPLETED])
def test_retry_and_reprocess_queue_the_item(
    status, make_item, owner, client_for, queue_sends, django_capture_on_commit_callbacks
):
    item = make_item(status, processing_error="boom" if status == "failed" else "")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            reverse("item-retry", args=["photo", item.pk]), headers={"Accept": "application/json"}
        )

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert items_sent(queue_sends) == [("photo", item.pk)]


@pytest.mark.parametrize("status", [ProcessingStatus.PENDING, ProcessingStatus.PROCESSING])
def test_it_refuses_to_retry_an_item_on_its_way(status, make_item, owner, client_for, queue_sends):
    item = make_item(status)

    response = client_for(owner).post(
        reverse("item-retry", args=["photo", item.pk]), headers={"Accept": "application/json"}
    )

    assert response.status_code == 409
    assert items_sent(queue_sends) == []


# --- /metrics ---


def test_metrics_are_off_by_default(db):
    assert Client().get("/metrics").status_code == 404


@pytest.mark.parametrize(("header", "status"), [(None, 401), ("Bearer wrong", 403)])
def test_metrics_need_the_token(db, settings, header, status):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, "s3cret-token"
    headers = {"Authorization": header} if header else {}

    assert Client().get("/metrics", headers=headers).status_code == status


def test_metrics_refuse_every_token_when_none_is_configured(db, settings):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""

    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert Client().get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 403


def test_metrics_report_items_counters_histogram_and_queues(db, settings, make_item):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, "s3cret-token"
    now = timezone.now()
    make_item(
        ProcessingStatus.COMPLETED,
        processing_started_at=now - timedelta(seconds=7),
        processed_at=now,
    )
    make_item(ProcessingStatus.FAILED)

    response = Client().get("/metrics", headers={"Authorization": "Bearer s3cret-token"})

    text = response.content.decode()
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'photo_album_items{kind="photo",status="completed"} 1' in text
    assert 'photo_album_items_processed_total{kind="photo"} 1' in text
    assert 'photo_album_items_failed_total{kind="photo"} 1' in text
    assert 'photo_album_processing_seconds_bucket{kind="photo",le="5"} 0' in text
    assert 'photo_album_processing_seconds_bucket{kind="photo",le="10"} 1' in text
    assert 'photo_album_processing_seconds_count{kind="photo"} 1' in text
    assert 'photo_album_queue_length{queue="celery"}' in text
