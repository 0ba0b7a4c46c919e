"""/ai-settings/: saving, validation, the API key, and each setting's effect."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from photos import tasks
from photos.models import Photo, ProcessingStatus
from photos.services import processing
from photos.services.ai_settings import ai_settings_get
from photos.services.secrets import secret_decrypt
from tests.samples import jpeg_bytes

VALID = {
    "auto_process_on_upload": "on",
    "scheduled_processing_enabled": "on",
    "schedule_hour": "2",
    "schedule_minute": "0",
    "batch_size": "500",
    "processing_timeout": "300",
    "backend": "offline",
    "model_dir": "",
    "endpoint_url": "",
    "model_name": "",
    "api_key": "",
    "max_tags": "10",
    "min_confidence": "0.2",
}


@pytest.fixture
def staff_client(staff, client_for):
    return client_for(staff)


def save(client, **changes):
    data = {**VALID, **changes}
    return client.post(reverse("ai-settings"), {k: v for k, v in data.items() if v is not None})


def test_it_saves_every_setting(staff_client):
    response = save(
        staff_client,
        auto_process_on_upload=None,  # an unticked box is absent from the POST
        schedule_hour="4",
        schedule_minute="30",
        batch_size="50",
        processing_timeout="60",
        backend="openai",
        endpoint_url="http://127.0.0.1:11434/v1",
        model_name="llava",
        api_key="sk-secret-key-abcd",
        max_tags="7",
        min_confidence="0.4",
    )

    assert response.status_code == 302
    row = ai_settings_get()
    assert row.auto_process_on_upload is False
    assert (row.schedule_hour, row.schedule_minute) == (4, 30)
    assert (row.batch_size, row.processing_timeout) == (50, 60)
    assert (row.backend, row.endpoint_url, row.model_name) == (
        "openai",
        "http://127.0.0.1:11434/v1",
        "llava",
    )
    assert secret_decrypt(row.api_key) == "sk-secret-key-abcd"
    assert row.api_key_endpoint == "http://127.0.0.1:11434/v1"
    assert (row.max_tags, row.min_confidence) == (7, 0.4)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_size", "0", "greater than or equal to 1"),
        ("batch_size", "5001", "less than or equal to 5000"),
        ("processing_timeout", "9", "greater than or equal to 10"),
        ("processing_timeout", "3601", "less than or equal to 3600"),
        ("endpoint_url", "not a url", "Enter a valid URL"),
        ("max_tags", "4", "greater than or equal to 5"),
        ("max_tags", "11", "less than or equal to 10"),
        ("schedule_minute", "60", "less than or equal to 59"),
        ("schedule_hour", "24", "less than or equal to 23"),
    ],
)
def test_it_refuses_out_of_range_values_with_a_clear_message(staff_client, field, value, message):
    before = ai_settings_get().updated_at

    response = save(staff_client, **{field: value})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert ai_settings_get().updated_at == before


def test_it_needs_an_endpoint_and_model_for_the_openai_backend(staff_client):
    response = save(staff_client, backend="openai")

    errors = response.context["form"].errors
    assert "needs its URL" in errors["endpoint_url"][0]
    assert "needs a model name" in errors["model_name"][0]


def test_it_never_shows_the_stored_api_key(staff_client):
    save(staff_client, api_key="sk-very-secret-1234abcd")

    page = staff_client.get(reverse("ai-settings")).content.decode()

    assert "sk-very-secret" not in page
    assert "••••abcd" in page


def test_it_keeps_the_stored_key_when_the_field_is_empty(staff_client):
    save(staff_client, api_key="sk-very-secret-1234abcd")

    save(staff_client, api_key="", batch_size="42")

    row = ai_settings_get()
    assert row.batch_size == 42
    assert secret_decrypt(row.api_key) == "sk-very-secret-1234abcd"


def test_it_removes_the_key_when_asked(staff_client):
    save(staff_client, api_key="sk-very-secret-1234abcd")

    save(staff_client, clear_api_key="on")

    assert ai_settings_get().api_key == ""


def test_a_new_schedule_time_reaches_the_beat_schedule(staff_client):
    save(staff_client, schedule_hour="5", schedule_minute="15")

    rows = PeriodicTask.objects.filter(
        name__in=["process_pending_photos", "process_pending_videos"]
    ).select_related("crontab")
    assert {(row.name, row.crontab.hour, row.crontab.minute) for row in rows} == {
        ("process_pending_photos", "5", "15"),
        ("process_pending_videos", "5", "15"),
    }


def test_auto_process_off_leaves_uploads_pending(
    staff_client, album, queue_sends, django_capture_on_commit_callbacks
):
    save(staff_client, auto_process_on_upload=None)
    data = jpeg_bytes("coffee")

    with django_capture_on_commit_callbacks(execute=True):
        photo = _upload(album, data)

    assert queue_sends == []
    photo.refresh_from_db()
    assert photo.processing_status == ProcessingStatus.PENDING
    assert photo.auto_process is False


def test_auto_process_on_queues_the_upload(
    staff_client, album, queue_sends, django_capture_on_commit_callbacks
):
    save(staff_client)

    with django_capture_on_commit_callbacks(execute=True):
        photo = _upload(album, jpeg_bytes("coffee"))

    assert [(name, args) for name, args, _ in queue_sends] == [
        ("photos.tasks.process_photo_ai", [photo.pk])
    ]


def test_a_lower_batch_size_limits_the_nightly_run(
    staff_client, make_item, queue_sends, django_capture_on_commit_callbacks
):
    ids = [make_item(ProcessingStatus.PENDING).pk for _ in range(5)]
    save(staff_client, batch_size="2")

    with django_capture_on_commit_callbacks(execute=True):
        count = tasks.process_pending_photos_task()

    assert count == 2
    assert [args[0] for _name, args, _ in queue_sends] == ids[:2]  # the oldest first


def test_scheduled_processing_off_makes_the_nightly_run_do_nothing(staff_client, make_item):
    make_item(ProcessingStatus.PENDING)
    save(staff_client, scheduled_processing_enabled=None)

    assert tasks.process_pending_photos_task() == 0


def test_the_processing_timeout_sets_the_task_time_limits(
    staff_client, queue_sends, django_capture_on_commit_callbacks
):
    save(staff_client, processing_timeout="45")

    with django_capture_on_commit_callbacks(execute=True):
        processing.item_enqueue(kind="photo", item_id=1, ai_settings=ai_settings_get())

    options = queue_sends[0][2]
    assert options["soft_time_limit"] == 45
    assert options["time_limit"] > 45


def _upload(album, data: bytes) -> Photo:
    from photos.services.uploads import photo_create

    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename="c.jpg", size=len(data)
    )
