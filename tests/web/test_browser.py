"""The album page in headless Chromium: log in, make an album, upload, see the grid."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from photos.models import Photo, Video
from tests.conftest import PASSWORD, wait_for_js
from tests.samples import jpeg_bytes, mp4_bytes

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOADED_THUMBNAILS = """() => [...document.querySelectorAll('#item-grid img')]
    .filter((img) => img.complete && img.naturalWidth > 0).length"""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def upload_files(tmp_path) -> dict[str, Path]:
    files = {
        "cat.jpg": jpeg_bytes("chelsea"),
        "rocket.jpg": jpeg_bytes("rocket"),
        "clip.mp4": mp4_bytes(("astronaut", "coffee")),
        "page.jpg": b"<!doctype html><html><body>not a photo</body></html>",
    }
    folder = tmp_path / "to-upload"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in files}


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Albums")


def test_it_uploads_photos_and_a_video_and_shows_them_in_the_grid(
    page: Page, live_server, make_user, upload_files
):
    make_user("ada")
    log_in(page, live_server.url, "ada")
    page.click("text=New album")
    page.fill("#id_title", "Cats and rockets")
    page.click("button:has-text('Create album')")
    expect(page.locator("h1")).to_have_text("Cats and rockets")
    # The heading shows before the deferred upload script has bound its handlers;
    # files chosen earlier would be ignored by the page (as by a too-quick person).
    page.wait_for_load_state("load")

    page.set_input_files("#upload-input", list(upload_files.values()))

    wait_for_js(page, f"({LOADED_THUMBNAILS})() === 3")
    expect(page.locator(".upload-row[data-state=done]")).to_have_count(3)
    refused = page.locator(".upload-row[data-state=error]")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("page.jpg")
    expect(refused).to_contain_text("This is not a photo or video we can read.")
    cards = page.locator("#item-grid .item-card")
    expect(cards).to_have_count(3)
    expect(page.locator("#item-grid .item-card[data-kind=video] .play-icon")).to_be_visible()
    expect(page.locator("#item-grid .badge[data-status=pending]")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-grid.png"), full_page=True)
    assert Photo.objects.count() == 2 and Video.objects.count() == 1

    # The same grid, rendered by the server after a reload.
    page.reload()
    wait_for_js(page, f"({LOADED_THUMBNAILS})() === 3")


def test_the_video_page_plays_through_range_requests(
    page: Page, live_server, make_user, upload_files
):
    from photos.models import Album
    from tests.web.conftest import store_item

    user = make_user("ada")
    album = Album.objects.create(owner=user, title="Clips")
    video = store_item(album, "clip.mp4", upload_files["clip.mp4"].read_bytes())
    log_in(page, live_server.url, "ada")

    page.goto(f"{live_server.url}{video.get_absolute_url()}")

    player = page.locator("#item-video")
    if not player.evaluate("(v) => v.canPlayType('video/mp4; codecs=\"avc1.64000d\"')"):
        pytest.skip("this Chromium build has no H.264 decoder")
    wait_for_js(page, "document.querySelector('#item-video').readyState >= 1", timeout=15_000)
    duration = player.evaluate("(v) => v.duration")
    assert duration == pytest.approx(2.0, abs=0.3)
    player.evaluate("(v) => { v.currentTime = 1.5; }")
    wait_for_js(page, "!document.querySelector('#item-video').seeking")
    expect(page.locator("#processing-status")).to_have_attribute("data-status", "pending")


def test_it_uploads_a_file_dropped_on_the_drop_zone(page: Page, live_server, make_user):
    from photos.models import Album

    user = make_user("ada")
    album = Album.objects.create(owner=user, title="Drops")
    log_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}{album.get_absolute_url()}")

    dropped = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", {type: "image/jpeg"}));
            return transfer;
        }""",
        base64.b64encode(jpeg_bytes("coffee")).decode(),
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})

    wait_for_js(page, f"({LOADED_THUMBNAILS})() === 1")
    expect(page.locator(".upload-row[data-state=done]")).to_contain_text("dropped.jpg")
    assert Photo.objects.get().original_filename == "dropped.jpg"
