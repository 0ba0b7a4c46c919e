"""Operations against a real `celery worker`: retry, the timeout, the sample test, validation."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from photos.models import Photo, ProcessingStatus
from photos.services.ai_settings import ai_settings_get
from photos.services.processing import item_enqueue
from photos.services.uploads import photo_create
from tests.pipeline.conftest import ai_settings_set, beat_start, wait_until
from tests.samples import jpeg_bytes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(shared_media):
    return shared_media


@pytest.fixture(autouse=True)
def _default_settings():
    ai_settings_set(auto_process_on_upload=True, backend="offline", processing_timeout=120)


def upload(album, name: str = "chelsea", quality: int = 90) -> Photo:
    data = jpeg_bytes(name, quality=quality)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=f"{name}.jpg",
        size=len(data),
    )  # fmt: skip


def status_of(photo: Photo) -> str:
    return Photo.objects.values_list("processing_status", flat=True).get(pk=photo.pk)


def finished(photo: Photo) -> bool:
    """Done, and the worker's writes after the status are in too (faces, then the search
    embedding, last): a test that ends earlier flushes the tables under those writes."""
    status, embedding = Photo.objects.values_list("processing_status", "embedding").get(pk=photo.pk)
    return status == ProcessingStatus.FAILED or (
        status == ProcessingStatus.COMPLETED and embedding is not None
    )


def wait_done(photo: Photo, timeout: float = 120) -> Photo:
    wait_until(lambda: finished(photo), timeout=timeout, what=f"photo {photo.pk}")
    return Photo.objects.get(pk=photo.pk)


def test_auto_process_off_leaves_an_upload_pending(module_worker, album):
    ai_settings_set(auto_process_on_upload=False)

    photo = upload(album, "coffee")
    time.sleep(3)  # a queued item would be claimed within a second

    assert status_of(photo) == ProcessingStatus.PENDING


def test_retry_completes_a_failed_item_once_its_file_is_restored(
    module_worker, album, owner, client_for
):
    ai_settings_set(auto_process_on_upload=False)
    photo = upload(album, "astronaut")
    name = photo.original.name
    original = default_storage.open(name).read()
    default_storage.delete(name)
    item_enqueue(kind="photo", item_id=photo.pk, ai_settings=ai_settings_get())
    failed = wait_done(photo)
    assert failed.processing_status == ProcessingStatus.FAILED
    assert "missing" in failed.processing_error
    assert default_storage.save(name, ContentFile(original)) == name

    response = client_for(owner).post(reverse("item-retry", args=["photo", photo.pk]))

    assert response.status_code == 302
    done = wait_done(photo)
    assert done.processing_status == ProcessingStatus.COMPLETED
    assert done.processing_error == ""
    assert done.ai_description


class TricklingEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers one byte a second: slow, never silent.

    Never silent, so the engine's own socket timeout never fires and only the
    task's time limit (the processing timeout) can end the call.
    """

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(120):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass  # the worker gave up: what the test wants

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TricklingEndpoint)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_a_shorter_timeout_fails_a_slow_item_with_a_timeout_error(
    module_worker, album, slow_endpoint
):
    ai_settings_set(
        backend="openai", endpoint_url=slow_endpoint, model_name="slow", processing_timeout=10
    )
    started = time.monotonic()

    photo = wait_done(upload(album, "rocket"), timeout=90)

    assert photo.processing_status == ProcessingStatus.FAILED
    assert "Timed out after 10 s" in photo.processing_error
    assert 9 <= time.monotonic() - started < 60


def test_the_sample_test_runs_on_the_worker(module_worker, staff, client_for):
    from tests.ops.test_ai_settings import VALID

    client = client_for(staff)

    started = client.post(reverse("ai-settings-test"), VALID)

    assert started.status_code == 202
    result_url = started.json()["result_url"]
    result: dict = {}

    def finished() -> bool:
        result.update(client.get(result_url).json())
        return result["done"]

    wait_until(finished, timeout=120, what="the sample test")
    assert result["ok"] is True
    assert "cat" in result["description"].lower()
    assert result["tags"]
    assert result["seconds"] > 0


def test_validate_deployment_passes_all_eight(module_worker, worker_dir, worker_media, capsys):
    beat = beat_start(worker_media, worker_dir)  # test 6 needs a ticking beat
    users_before = get_user_model().objects.count()

    try:
        call_command("validate_deployment", "--timeout", "120")
    finally:
        beat.stop()

    out = capsys.readouterr().out
    assert "8 passed, 0 failed, 0 skipped" in out, out
    for number in range(1, 9):
        assert f"PASS {number} " in out
    assert get_user_model().objects.count() == users_before
    assert not Photo.objects.filter(album__title__startswith="validate-deployment").exists()


def test_ops_and_metrics_show_each_pool_processs_memory(
    module_worker, album, staff, client_for, settings
):
    import psutil

    wait_done(upload(album, "coffee", quality=77))  # the models are loaded now
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, "t0ken"
    client = client_for(staff)

    [worker] = client.get(reverse("ops-status")).json()["workers"]
    [process] = worker["pool_processes"]
    metrics = client.get(reverse("metrics"), headers={"Authorization": "Bearer t0ken"})

    (child,) = psutil.Process(module_worker.popen.pid).children()
    assert process["pid"] == child.pid
    # The models live in the pool process: hundreds of MB, far above the main process.
    assert process["rss_bytes"] > 300 * 2**20
    assert process["rss_bytes"] == pytest.approx(child.memory_info().rss, rel=0.2)
    assert process["peak_rss_bytes"] >= process["rss_bytes"]
    text = metrics.content.decode()
    assert (
        f'photo_album_worker_pool_rss_bytes{{worker="{worker["name"]}",pid="{child.pid}"}}' in text
    )
    assert "photo_album_worker_pool_peak_rss_bytes{" in text
    page = client.get(reverse("ops-dashboard")).content.decode()
    assert f'class="pool-process" data-pid="{child.pid}"' in page


def test_the_vocabulary_preview_runs_on_the_worker(
    module_worker, worker_media, album, staff, client_for
):
    """A concept typed on /ai-settings/vocabulary/ (unsaved), scored by the worker's
    image-text model (tiny, random) against the recent photos: the threshold and the face
    a concept needs decide which it would tag."""
    pytest.importorskip("transformers")
    from photos.models import Concept
    from tests.engine.tiny_models import save_tiny_siglip

    models = worker_media / "vocabulary-models"
    if not (models / "image-text").exists():
        save_tiny_siglip(models / "image-text")
    ai_settings_set(model_dir=str(models))  # the backend stays offline: preview anyway
    cat, portrait = upload(album, "chelsea", 71), upload(album, "astronaut", 72)
    Photo.objects.filter(pk=cat.pk).update(
        processing_status=ProcessingStatus.COMPLETED, ai_analysis={"faces": 0}
    )
    Photo.objects.filter(pk=portrait.pk).update(
        processing_status=ProcessingStatus.COMPLETED, ai_analysis={"faces": 1}
    )
    client = client_for(staff)

    def preview(**concept: str) -> dict:
        started = client.post(reverse("ai-vocabulary-preview"), concept)
        assert started.status_code == 202
        result: dict = {}

        def finished() -> bool:
            result.update(client.get(started.json()["result_url"]).json())
            return result["done"]

        wait_until(finished, timeout=120, what="the vocabulary preview")
        assert result["ok"] is True, result
        return {p["id"]: p["tagged"] for p in result["photos"]}

    # Random weights score every text near 0.5: 0.01 is always reached, 0.99 never.
    assert preview(name="cat", threshold="0.01") == {cat.pk: True, portrait.pk: True}
    assert preview(name="cat", threshold="0.99") == {cat.pk: False, portrait.pk: False}
    assert preview(name="bridesmaid", threshold="0.01", needs="face") == {
        cat.pk: False,
        portrait.pk: True,
    }
    assert not Concept.objects.filter(name="bridesmaid").exists()  # nothing saved
