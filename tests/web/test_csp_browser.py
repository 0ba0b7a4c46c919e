"""A strict Content-Security-Policy on every page, and the pages still work under it.

Headless Chromium visits the main pages as a staff user and fails on any CSP
violation it reports in the console; on each page it also does what the page
is for (upload, switch a backend, add a tag, search), which needs its script.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from photos.models import Album
from photos.services.item_edits import item_tag_add
from tests.conftest import PASSWORD
from tests.pipeline.conftest import ai_settings_set
from tests.samples import jpeg_bytes
from tests.web.conftest import store_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page: Page) -> list[str]:
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            seen.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return seen


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (url, policy)
    page.wait_for_load_state("load")


def test_every_main_page_works_under_a_strict_csp(
    page: Page, live_server, make_user, tmp_path, violations
):
    ai_settings_set(auto_process_on_upload=False)
    staff = make_user("root", is_staff=True)
    album = Album.objects.create(owner=staff, title="Garden")
    photo = store_item(album, "chelsea.jpg", jpeg_bytes("chelsea"))
    item_tag_add(item=photo, name="cat")
    base = live_server.url

    visit(page, f"{base}/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Albums")
    assert page.evaluate("document.documentElement.classList.contains('js')")

    visit(page, f"{base}{album.get_absolute_url()}")
    upload = tmp_path / "coffee.jpg"
    upload.write_bytes(jpeg_bytes("coffee"))
    page.set_input_files("#upload-input", [str(upload)])
    expect(page.locator("#item-grid .item-card")).to_have_count(2, timeout=20_000)

    visit(page, f"{base}{photo.get_absolute_url()}")
    page.fill("#tag-add-form input[name=name]", "garden")
    page.click("#tag-add-form button")
    expect(page.locator("#tags [data-tag=garden]")).to_be_visible()

    visit(page, f"{base}{reverse('search')}?q=cat")
    expect(page.locator("body")).to_contain_text("chelsea.jpg")
    visit(page, f"{base}{reverse('tag-list')}")

    visit(page, f"{base}{reverse('ai-settings')}")
    endpoint = page.locator("#id_endpoint_url")
    expect(endpoint).to_be_hidden()
    page.check("input[name=backend][value=openai]")
    expect(endpoint).to_be_visible()

    visit(page, f"{base}{reverse('ops-dashboard')}")
    expect(page.locator("#ops-updated")).not_to_be_empty(timeout=20_000)

    visit(page, f"{base}/no-such-page/")
    expect(page.locator("#error-page")).to_be_visible()

    assert violations == []
