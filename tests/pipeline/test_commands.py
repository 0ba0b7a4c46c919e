"""The manual commands (checklist test 5 and the troubleshooting guide), run as an operator would.

They bypass Celery, so no worker runs here; each is a `manage.py` subprocess
on the test database, with the real engine.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from photos.models import Photo, ProcessingStatus
from tests.pipeline.conftest import ROOT, ai_settings_set, statuses, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)

LINE = re.compile(r"^\[[# ]{20}\] (\d+)/(\d+) photo (\d+): (completed|failed) \d+\.\d+s", re.M)


def manage(worker_media, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=subprocess_env(worker_media),
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_it_processes_at_most_the_limit_with_one_line_each(worker_media, upload_photo):
    ai_settings_set(auto_process_on_upload=False)
    ids = [upload_photo().pk for _ in range(12)]

    done = manage(worker_media, "process_photos_ai", "--limit", "10")

    assert done.returncode == 0, done.stderr
    lines = LINE.findall(done.stdout)
    assert len(lines) == 10, done.stdout
    # Oldest first, and each line says what happened to which item.
    assert [int(pk) for _, _, pk, _ in lines] == ids[:10]
    assert {outcome for *_, outcome in lines} == {"completed"}
    assert "Done: 10 completed, 0 failed, 0 skipped" in done.stdout
    after = statuses(Photo, ids)
    assert [after[pk] for pk in ids] == ["completed"] * 10 + ["pending"] * 2


def test_it_exits_non_zero_when_an_item_fails_and_retries_it(worker_media, upload_photo):
    ai_settings_set(auto_process_on_upload=False)
    photo = upload_photo()
    original = default_storage.open(photo.original.name).read()
    default_storage.delete(photo.original.name)

    failed = manage(worker_media, "process_photos_ai", "--id", str(photo.pk))
    assert failed.returncode != 0
    assert f"photo {photo.pk}: failed" in failed.stdout
    assert "missing" in failed.stdout

    # Put the file back: --retry-failed takes failed items again.
    default_storage.save(photo.original.name, ContentFile(original))
    retried = manage(worker_media, "process_photos_ai", "--retry-failed", "--id", str(photo.pk))
    assert retried.returncode == 0, retried.stdout + retried.stderr
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.COMPLETED


def test_it_processes_videos_with_the_video_command(worker_media, upload_video):
    ai_settings_set(auto_process_on_upload=False)
    video = upload_video()
    done = manage(worker_media, "process_videos_ai", "--limit", "5")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"video {video.pk}: completed" in done.stdout
    video.refresh_from_db()
    assert video.ai_description


def test_it_reports_every_model_with_check_ai_models(worker_media):
    ai_settings_set(backend="offline")
    done = manage(worker_media, "check_ai_models")
    assert done.returncode == 0, done.stdout + done.stderr
    models = re.findall(r"^OK\s+(\S+)\s+present=True loads=True ", done.stdout, re.M)
    # The embedding model of meaning search is a model a worker loads too.
    assert {"classifier", "faces", "ocr", "places", "embeddings", "face_embed"} <= set(models), (
        done.stdout
    )
    # A sample inference time on the bundled photograph, for the models that take images.
    assert re.search(r"sample=\d+\.\d{3}s", done.stdout)
    assert "All" in done.stdout and "models present and working" in done.stdout


def test_it_exits_non_zero_when_models_are_missing(worker_media):
    ai_settings_set(backend="transformers", model_dir=str(worker_media / "no-models-here"))
    done = manage(worker_media, "check_ai_models")
    assert done.returncode != 0
    assert "FAIL" in done.stdout
    assert "not usable" in done.stderr
