"""Upload through the API, a real `celery worker` processes it, the API reads the tags back."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from photos.models import Album
from tests.pipeline.conftest import ai_settings_set, wait_until
from tests.samples import jpeg_bytes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_upload_then_process_then_read_back_tags(module_worker, shared_media, api_for, owner):
    ai_settings_set(auto_process_on_upload=True, backend="offline", processing_timeout=120)
    album = Album.objects.create(owner=owner, title="Home")
    api = api_for(owner)

    made = api.post(
        "/api/items/",
        {"album": album.pk, "file": SimpleUploadedFile("cat.jpg", jpeg_bytes("chelsea"))},
        format="multipart",
    )

    assert made.status_code == 201, made.json()
    item = made.json()
    assert (item["kind"], item["original_filename"]) == ("photo", "cat.jpg")
    # Queued on commit, before the response is written: a warm worker may already hold it.
    assert item["status"] in {"pending", "processing", "completed"}
    status_url = f"/api/items/{item['id']}/status/"
    wait_until(
        lambda: api.get(status_url).json()["status"] in ("completed", "failed"),
        timeout=120,
        what="the worker to process the upload",
    )
    assert api.get(status_url).json()["status"] == "completed"
    body = api.get(f"/api/items/{item['id']}/").json()
    names = [tag["name"] for tag in body["tags"]]
    assert "cat" in " ".join(names), names
    assert all(tag["source"] == "ai" for tag in body["tags"])
    assert body["description"]
    # The original is the upload's bytes, served to its owner through the media view.
    assert api.get(body["original_url"]).status_code == 200

    # Reprocess through the API: back to pending, then completed again by the worker.
    assert api.post(f"/api/items/{item['id']}/reprocess/").status_code == 202
    wait_until(
        lambda: api.get(status_url).json()["status"] == "completed",
        timeout=120,
        what="the reprocess",
    )
