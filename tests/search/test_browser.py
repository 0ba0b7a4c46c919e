"""Search and correct in headless Chromium: find the cat, tag it, see it on the tag page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from photos.models import Album
from tests.conftest import PASSWORD
from tests.search.conftest import CAT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_searches_opens_a_result_adds_a_tag_and_finds_it_on_the_tag_page(
    page: Page, live_server, make_user, processed
):
    user = make_user("ada")
    cat = processed(Album.objects.create(owner=user, title="Home"), CAT)
    base = live_server.url
    page.goto(f"{base}/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.fill("#site-search-input", "cat")
    page.press("#site-search-input", "Enter")
    expect(page.locator("#result-count")).to_have_text("1 result")
    page.click(f'.item-card[data-id="{cat.pk}"] a.item-thumb')
    expect(page).to_have_url(f"{base}{cat.get_absolute_url()}")

    page.fill("#tag-add-form input[name=name]", "sofa napper")
    page.click("#tag-add-form button")
    tag = page.locator('li.tag[data-tag="sofa napper"]')
    expect(tag.locator(".tag-source")).to_have_text("Person")
    expect(page.locator('li.tag[data-tag="cat"] .tag-source')).to_have_text("AI 0.91")

    tag.locator("a.tag-link").click()
    expect(page.locator("h1")).to_have_text("sofa napper")
    expect(page.locator(f'.item-card[data-id="{cat.pk}"]')).to_be_visible()
