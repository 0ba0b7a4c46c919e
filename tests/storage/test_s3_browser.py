"""Chromium follows the media view's redirects into the bucket: thumbnails show, video seeks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from photos.models import Album
from tests.conftest import wait_for_js
from tests.samples import jpeg_bytes, mp4_bytes
from tests.web.conftest import store_item
from tests.web.test_browser import LOADED_THUMBNAILS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_show_media_from_the_bucket(page: Page, live_server, make_user, s3_media):
    album = Album.objects.create(owner=make_user("ada"), title="On S3")
    store_item(album, "cat.jpg", jpeg_bytes("chelsea"))
    video = store_item(album, "clip.mp4", mp4_bytes(("astronaut", "coffee")))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    log_in(page, live_server.url, "ada")

    page.goto(f"{live_server.url}{album.get_absolute_url()}")
    wait_for_js(page, f"({LOADED_THUMBNAILS})() === 2")
    # Loaded from the bucket, not replaced by the missing-file placeholder (boot.js).
    assert page.locator("#item-grid img[data-missing]").count() == 0

    page.goto(f"{live_server.url}{video.get_absolute_url()}")
    player = page.locator("#item-video")
    if player.evaluate("(v) => v.canPlayType('video/mp4; codecs=\"avc1.64000d\"')"):
        wait_for_js(page, "document.querySelector('#item-video').readyState >= 1", timeout=15_000)
        player.evaluate("(v) => { v.currentTime = 1.5; }")
        wait_for_js(page, "!document.querySelector('#item-video').seeking")
        assert player.evaluate("(v) => v.currentSrc").startswith(f"{live_server.url}/media/")
    assert refused == []
