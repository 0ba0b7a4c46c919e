"""What a new user meets first: missing files, when an upload will be processed, the
error pages, the favicon, and the small words on the pages."""

from __future__ import annotations

import html
from datetime import datetime

import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from photos.models import Photo, ProcessingStatus
from photos.services.schedule import batch_next_run, pending_note
from tests.conftest import PASSWORD
from tests.pipeline.conftest import ai_settings_set
from tests.samples import jpeg_bytes
from tests.web.conftest import post_files, store_item


def page_text(response) -> str:
    return html.unescape(response.content.decode())


# --- a missing file ---------------------------------------------------------------------


def test_a_missing_file_is_a_404_and_its_page_still_opens(owner_client, photo):
    default_storage.delete(photo.original.name)
    default_storage.delete(photo.thumbnail.name)
    Photo.objects.filter(pk=photo.pk).update(
        processing_status=ProcessingStatus.FAILED,
        processing_error="The original file is missing from storage.",
    )

    page = owner_client.get(photo.get_absolute_url())
    original = owner_client.get(reverse("media", args=["photo", photo.pk, "original"]))
    thumbnail = owner_client.get(reverse("media", args=["photo", photo.pk, "thumbnail"]))

    assert page.status_code == 200
    assert "The original file is missing from storage." in page_text(page)
    assert original.status_code == 404
    assert thumbnail.status_code == 404
    # The page tells the script where the placeholder picture is.
    assert 'data-missing-image="/static/photos/missing.svg"' in page.content.decode()


# --- when will my upload be processed? --------------------------------------------------


def test_with_auto_process_off_the_upload_says_when_the_nightly_run_is(owner_client, album):
    ai_settings_set(auto_process_on_upload=False, scheduled_processing_enabled=True)
    ai_settings_set(schedule_hour=2, schedule_minute=0)

    response = post_files(owner_client, album, [("cat.jpg", jpeg_bytes("chelsea"))])

    [uploaded] = response.json()["uploaded"]
    assert uploaded["note"].startswith("It will be processed at the nightly run, ")
    assert "02:00 (in " in uploaded["note"]


def test_with_no_processing_at_all_the_upload_says_so(owner_client, album):
    ai_settings_set(auto_process_on_upload=False, scheduled_processing_enabled=False)

    response = post_files(owner_client, album, [("cat.jpg", jpeg_bytes("chelsea"))], json=False)

    page = page_text(owner_client.get(response["Location"]))
    assert "Uploaded 1 file. Automatic processing is off" in page


def test_the_next_run_is_today_or_tomorrow_in_the_server_time_zone(db):
    row = ai_settings_set(schedule_hour=2, schedule_minute=30)
    before = timezone.make_aware(datetime(2026, 5, 1, 1, 0))
    after = timezone.make_aware(datetime(2026, 5, 1, 3, 0))

    assert batch_next_run(row, now=before) == timezone.make_aware(datetime(2026, 5, 1, 2, 30))
    assert batch_next_run(row, now=after) == timezone.make_aware(datetime(2026, 5, 2, 2, 30))


def test_staff_can_process_a_waiting_item_now_and_others_cannot(
    photo, owner_client, staff, client_for, django_capture_on_commit_callbacks
):
    ai_settings_set(auto_process_on_upload=False)
    url = reverse("item-process-now", args=["photo", photo.pk])
    staff_client = client_for(staff)

    staff_page = page_text(staff_client.get(photo.get_absolute_url()))
    owner_page = page_text(owner_client.get(photo.get_absolute_url()))
    assert "Process now" in staff_page
    assert "Process now" not in owner_page
    assert pending_note(photo, ai_settings_set()) in owner_page
    assert owner_client.post(url).status_code == 403

    with django_capture_on_commit_callbacks() as queued:
        response = staff_client.post(url)
    assert response.status_code == 302
    assert len(queued) == 1  # the enqueue, after the commit
    photo.refresh_from_db()
    assert photo.lease_expires_at is not None  # marked queued: the sweep won't send it twice


# --- pages and words -------------------------------------------------------------------


def test_the_404_page_is_styled_and_says_what_happened(owner_client):
    response = owner_client.get("/no/such/page/")

    assert response.status_code == 404
    page = page_text(response)
    assert 'id="error-page"' in page and "photos/app.css" in page
    assert "Nothing here" in page


def test_the_500_page_renders_without_a_request():
    page = render_to_string("500.html")

    assert "Something went wrong on our side" in page
    assert "photos/app.css" in page


def test_the_favicon_is_there(db):
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("photos/favicon.svg")


def test_retry_all_says_one_photo_not_one_photos(staff, client_for, photo):
    Photo.objects.filter(pk=photo.pk).update(processing_status=ProcessingStatus.FAILED)

    response = client_for(staff).post(reverse("ops-retry-failed"), follow=True)

    assert "Queued failed items again: 1 photo and 0 videos." in page_text(response)


@pytest.mark.parametrize(
    ("make", "model", "shown"),
    [
        ("Canon", "Canon EOS 400D DIGITAL", "Canon EOS 400D DIGITAL"),
        ("NIKON CORPORATION", "NIKON D750", "NIKON CORPORATION NIKON D750"),
        ("Apple", "iPhone 15", "Apple iPhone 15"),
    ],
)
def test_the_camera_is_named_once(owner_client, photo, make, model, shown):
    Photo.objects.filter(pk=photo.pk).update(camera_make=make, camera_model=model)

    page = page_text(owner_client.get(photo.get_absolute_url()))

    assert f'<dd data-fact="camera">{shown}</dd>' in page


# --- in the browser: live badges, styled inputs, the placeholder ---------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_album_grid_badges_follow_processing_without_a_reload(page: Page, live_server, make_user):
    ai_settings_set(auto_process_on_upload=False)
    owner = make_user("ada")
    album = owner.albums.create(title="Cats")
    waiting = store_item(album, "chelsea.jpg", jpeg_bytes("chelsea"))
    gone = store_item(album, "coffee.jpg", jpeg_bytes("coffee"))
    default_storage.delete(gone.thumbnail.name)
    page.goto(f"{live_server.url}/login/?next={album.get_absolute_url()}")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    badge = page.locator(f'.item-card[data-id="{waiting.pk}"] .badge')
    expect(badge).to_have_text("Pending")

    Photo.objects.filter(pk=waiting.pk).update(processing_status=ProcessingStatus.COMPLETED)

    expect(badge).to_have_text("Completed", timeout=15_000)
    expect(badge).to_have_attribute("data-status", "completed")
    # The missing thumbnail shows the placeholder picture, not a broken image.
    missing = page.locator(f'.item-card[data-id="{gone.pk}"] img')
    expect(missing).to_have_attribute("data-missing", "true")
    assert missing.evaluate("(img) => img.complete && img.naturalWidth > 0")
    # Search and tag inputs are styled like the forms (rounded, bordered).
    for selector in ("#site-search-input",):
        radius = page.locator(selector).evaluate("(e) => getComputedStyle(e).borderTopLeftRadius")
        assert radius == "8px", (selector, radius)
    page.goto(f"{live_server.url}{waiting.get_absolute_url()}")
    radius = page.locator("#tag-add-form input[name=name]").evaluate(
        "(e) => getComputedStyle(e).borderTopLeftRadius"
    )
    assert radius == "8px"
