"""Beat liveness: a real `celery beat` records a heartbeat; stopped, it is noticed.

validate_deployment's test 6 passes while beat ticks and fails, with the
checklist's hint, once it stops; /ops/ shows the same.
"""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from photos.services import beat
from tests.pipeline.conftest import beat_start, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ALL_BUT_SIX = "1,2,3,4,5,7,8"


def run_test_six(capsys) -> tuple[int, str]:
    try:
        call_command("validate_deployment", "--skip", ALL_BUT_SIX, "--timeout", "10")
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, capsys.readouterr().out


@pytest.fixture
def no_heartbeat():
    beat.heartbeat_client().delete(beat.HEARTBEAT_KEY)
    yield
    beat.heartbeat_client().delete(beat.HEARTBEAT_KEY)


@pytest.mark.worker
def test_validate_deployment_test_six_follows_a_real_beat(
    no_heartbeat, worker_dir, worker_media, settings, capsys
):
    settings.BEAT_HEARTBEAT_STALE = 8  # beat ticks every 5 s at most
    process = beat_start(worker_media, worker_dir)
    try:
        wait_until(lambda: beat.beat_heartbeat_age() is not None, timeout=30, what="a tick")
        code, out = run_test_six(capsys)
        assert code == 0, out
        assert "PASS 6 " in out and "beat ticked" in out
    finally:
        process.stop()

    time.sleep(settings.BEAT_HEARTBEAT_STALE + 1)
    code, out = run_test_six(capsys)

    assert code == 1
    assert "FAIL 6 " in out
    assert "beat is not ticking" in out
    assert "If failed: Check beat: sudo systemctl status photo-album-celery-beat" in out


def test_the_dashboard_says_when_beat_is_not_running(no_heartbeat, staff, client_for):
    client = client_for(staff)

    page = client.get(reverse("ops-dashboard")).content.decode()
    status = client.get(reverse("ops-status")).json()

    assert status["beat"] == {"alive": False, "last_tick_age_s": None}
    assert "beat is not running" in status["problems"]
    assert '<div class="ops-alert" id="beat-stopped">' in page

    beat.beat_heartbeat_record()
    page = client.get(reverse("ops-dashboard")).content.decode()
    assert '<div class="ops-alert" id="beat-stopped" hidden>' in page
    assert client.get(reverse("ops-status")).json()["beat"]["alive"] is True
