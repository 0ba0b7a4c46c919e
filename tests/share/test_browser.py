"""A visitor opens a share link in headless Chromium: grid, item, slideshow, under a strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from photos.models import Album
from photos.services.share_links import share_link_create
from tests.samples import jpeg_bytes
from tests.web.conftest import store_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Stricter than the site's own policy may be: any inline script or style would be refused.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def with_strict_csp(route: Route) -> None:
    response = route.fetch()
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": STRICT_CSP}
    )


def test_a_visitor_sees_the_grid_and_the_slideshow_with_no_csp_errors(
    page: Page, live_server, make_user
):
    owner = make_user("ada")
    album = Album.objects.create(owner=owner, title="Lisbon")
    items = [
        store_item(album, f"{name}.jpg", jpeg_bytes(name))
        for name in ("chelsea", "coffee", "rocket")
    ]
    token = share_link_create(album=album, created_by=owner, allow_originals=True).token
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/*", with_strict_csp)

    page.goto(f"{live_server.url}/s/{token}/")
    expect(page.locator("#share-title")).to_have_text("Lisbon")
    expect(page.locator("#item-grid .item-card")).to_have_count(3)
    expect(page.locator(".site-nav")).to_have_count(0)  # no way into the rest of the site
    newest = items[-1]
    expect(page.locator(f'.item-card[data-id="{newest.pk}"] img')).to_be_visible()

    page.click("#slideshow-link")
    expect(page.locator("#slide-position")).to_have_text("1 / 3")
    expect(page.locator(".slide:not([hidden]) img")).to_have_count(1)
    first = page.locator("#slideshow").get_attribute("data-current")
    page.click("#slide-pause")  # stop the timer so the steps below are the only moves
    expect(page.locator("#slide-pause")).to_have_text("Play")
    page.click("#slide-next")
    expect(page.locator("#slide-position")).to_have_text("2 / 3")
    assert page.locator("#slideshow").get_attribute("data-current") != first
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#slide-position")).to_have_text("1 / 3")
    # The original is drawn (decoded, not a broken image) through the link.
    assert page.locator(".slide:not([hidden]) img").evaluate("img => img.naturalWidth") > 0

    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{live_server.url}/s/{token}/")
    # Images still loading when the test ends must not fail the next test's teardown.
    page.unroute_all(behavior="ignoreErrors")
    assert errors == []


def test_a_visitor_types_the_password_once_per_browser_session(
    page: Page, browser, live_server, make_user
):
    owner = make_user("ada")
    album = Album.objects.create(owner=owner, title="Family")
    store_item(album, "chelsea.jpg", jpeg_bytes("chelsea"))
    token = share_link_create(album=album, created_by=owner, password="open sesame").token
    url = f"{live_server.url}/s/{token}/"

    page.goto(url)
    page.fill("#id_password", "guess")
    page.click("#share-password-form button")
    expect(page.locator("#share-password-form")).to_contain_text("not the password")
    page.fill("#id_password", "open sesame")
    page.click("#share-password-form button")
    expect(page.locator("#share-title")).to_have_text("Family")
    page.goto(url)  # the same browser session: no second prompt
    expect(page.locator("#item-grid .item-card")).to_have_count(1)

    other = browser.new_context()  # another browser session is asked again
    try:
        other_page = other.new_page()
        other_page.goto(url)
        expect(other_page.locator("#share-password-form")).to_be_visible()
    finally:
        other.close()
