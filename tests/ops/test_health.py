from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from photos.models import ProcessingStatus, Video
from photos.selectors import ops
from photos.services import beat

ONE_WORKER = ops.WorkersReport(workers=[ops.WorkerInfo(name="w1@host", pool="prefork")])


@pytest.fixture
def worker_online(monkeypatch):
    monkeypatch.setattr(ops, "workers_inspect", lambda **kwargs: ONE_WORKER)


@pytest.fixture
def no_worker(monkeypatch):
    monkeypatch.setattr(ops, "workers_inspect", lambda **kwargs: ops.WorkersReport())


@pytest.fixture
def beat_ticking():
    beat.beat_heartbeat_record()  # what the scheduler does on each tick
    yield
    beat.heartbeat_client().delete(beat.HEARTBEAT_KEY)


@pytest.fixture
def beat_stopped(settings):
    beat.heartbeat_client().set(beat.HEARTBEAT_KEY, repr(time.time() - 120))
    settings.BEAT_HEARTBEAT_STALE = 60
    yield
    beat.heartbeat_client().delete(beat.HEARTBEAT_KEY)


def run_health(*args: str, capsys) -> tuple[int, str]:
    try:
        call_command("ai_health", *args)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, capsys.readouterr().out


def test_it_reports_ok_and_exits_zero_when_all_is_well(
    db, worker_online, beat_ticking, make_item, capsys
):
    make_item(ProcessingStatus.COMPLETED)
    make_item(ProcessingStatus.PENDING)  # pending but fresh: not a problem

    code, out = run_health(capsys=capsys)

    assert code == 0
    assert "Failed in last 24h: 0 photos, 0 videos" in out
    assert "Workers online: 1" in out
    assert "Beat: ticking (last tick 0 s ago)" in out
    assert out.strip().endswith("OK")


def test_it_counts_each_checklist_problem(db, worker_online, beat_ticking, make_item, capsys):
    make_item(ProcessingStatus.FAILED)
    make_item(ProcessingStatus.FAILED, model=Video)
    make_item(ProcessingStatus.FAILED, uploaded_ago=timedelta(days=3))  # old failure: not counted
    make_item(ProcessingStatus.PENDING, uploaded_ago=timedelta(days=8))
    make_item(ProcessingStatus.PROCESSING, lease_expires_at=timezone.now() - timedelta(minutes=1))
    make_item(  # still within its lease: fine
        ProcessingStatus.PROCESSING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )

    code, out = run_health("--json", capsys=capsys)

    report = json.loads(out)
    assert code == 1
    assert report["failed_24h"] == {"photos": 1, "videos": 1}
    assert report["pending_over_7d"] == {"photos": 1, "videos": 0}
    assert report["processing_past_lease"] == {"photos": 1, "videos": 0}
    assert report["workers_online"] == 1
    assert report["needs_attention"] is True


def test_it_needs_attention_when_beat_stopped_ticking(db, worker_online, beat_stopped, capsys):
    code, out = run_health(capsys=capsys)

    assert code == 1
    assert "Beat: STOPPED (last tick 120 s ago)" in out
    assert "sudo systemctl status photo-album-celery-beat" in out
    assert "NEEDS ATTENTION: beat is not running" in out


def test_it_needs_attention_with_no_worker_and_gives_the_hint(db, no_worker, beat_ticking, capsys):
    code, out = run_health(capsys=capsys)

    assert code == 1
    assert "Workers online: 0" in out
    assert "No worker is running" in out
    assert "NEEDS ATTENTION: no worker is running" in out
