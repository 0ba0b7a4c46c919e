"""The people pages in headless Chromium: see a person, name them, find them by name."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from photos.models import Album, Face
from photos.services.people import people_group
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The image's natural width once it has loaded (0 if it fails): "visible" comes before the
# bytes arrive, so reading `complete` at once races the permission-checked view.
LOADED_WIDTH = """img => img.complete ? img.naturalWidth : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth));
    img.addEventListener("error", () => done(0));
})"""


def test_it_names_a_person_merges_another_and_finds_them_by_name(
    page: Page, live_server, make_user, face_item, identity_faces
):
    user = make_user("ada")
    album = Album.objects.create(owner=user, title="Home")
    astronaut = [face_item(album, faces) for faces in identity_faces["astronaut"][:3]]
    hopper = [face_item(album, faces) for faces in identity_faces["grace-hopper"][:2]]
    people_group(owner_id=user.pk)
    person = Face.objects.get(item=astronaut[0]).person
    base = live_server.url
    page.goto(f"{base}/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.click("nav.site-nav >> text=People")
    cards = page.locator(".person-card")
    expect(cards).to_have_count(2)
    # The biggest first, with its face crop loaded through the permission-checked view.
    expect(cards.first).to_have_attribute("data-id", str(person.pk))
    crop = cards.first.locator("img.face-crop")
    expect(crop).to_be_visible()
    assert crop.evaluate(LOADED_WIDTH) == 128

    cards.first.locator("a").click()
    page.fill("#person-name-input", "Anna")
    page.click("#rename-form button")
    expect(page.locator("#person-name")).to_have_text("Anna")
    expect(page.locator(".item-card")).to_have_count(3)

    # Merge Grace Hopper's group into Anna (the owner's call), then search by name.
    other = Face.objects.get(item=hopper[0]).person
    page.goto(f"{base}/people/{other.pk}/")
    page.select_option("#merge-into", str(person.pk))
    page.click("#merge-form button")
    expect(page.locator("#person-name")).to_have_text("Anna")
    expect(page.locator(".item-card")).to_have_count(5)

    page.fill("#site-search-input", "anna")
    page.press("#site-search-input", "Enter")
    expect(page.locator("#result-count")).to_have_text("5 results")
