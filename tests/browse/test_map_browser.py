"""The map in Chromium: markers from real photographs' GPS EXIF, no tiles, clusters that open."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from photos.models import Album
from photos.services.uploads import item_create_from_upload
from tests.conftest import PASSWORD
from tests.samples import exif_with_gps, jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACES = {
    "lisbon-1": ("chelsea", 38.7223, -9.1393),
    "lisbon-2": ("coffee", 38.7101, -9.1300),
    "tokyo": ("astronaut", 35.6762, 139.6503),
    "new-york": ("rocket", 40.7128, -74.0060),
}


def upload_with_gps(album: Album, name: str, photo: str, lat: float, lon: float):
    data = jpeg_bytes(photo, exif=exif_with_gps(latitude=lat, longitude=lon))
    upload = SimpleUploadedFile(f"{name}.jpg", data, content_type="image/jpeg")
    return item_create_from_upload(
        album=album, uploader=album.owner, file=upload, filename=upload.name, size=len(data)
    )


def test_markers_from_gps_exif_cluster_and_open_their_items_without_tiles(
    page: Page, live_server, make_user, settings
):
    settings.MAP_TILE_URL = ""  # no tile server: the markers on a blank map
    user = make_user("ada")
    album = Album.objects.create(owner=user, title="Travels")
    items = {name: upload_with_gps(album, name, *spec) for name, spec in PLACES.items()}
    no_gps = jpeg_bytes("camera")
    item_create_from_upload(
        album=album,
        uploader=user,
        file=SimpleUploadedFile("no-gps.jpg", no_gps),
        filename="no-gps.jpg",
        size=len(no_gps),
    )
    assert round(items["tokyo"].gps_latitude, 3) == 35.676  # read from the EXIF, not set here

    requests: list[str] = []
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    base = live_server.url
    page.goto(f"{base}/login/?next=/map/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    expect(page.locator("#map")).to_have_attribute("data-loaded", "4")
    expect(page.locator("#map-status")).to_have_text("4 items with a place.")
    assert page.locator(".leaflet-tile").count() == 0
    # The two Lisbon photos form one cluster; Tokyo and New York stand alone.
    cluster = page.locator(".marker-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_text("2")
    expect(page.locator(".leaflet-marker-icon:not(.marker-cluster)")).to_have_count(2)

    cluster.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator("p")).to_have_text("2 items")
    links = popup.locator("a.map-popup-item")
    expect(links).to_have_count(2)
    hrefs = sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert hrefs == sorted(items[n].get_absolute_url() for n in ("lisbon-1", "lisbon-2"))
    expect(popup.locator("img").first).to_have_js_property("complete", True)
    assert popup.locator("img").first.evaluate("img => img.naturalWidth") > 0

    page.locator(".leaflet-popup-close-button").click()
    expect(popup).to_have_count(0)
    page.locator(f'.leaflet-marker-icon[title="Item {items["tokyo"].pk}"]').click()
    popup.locator("a.map-popup-item").click()
    expect(page).to_have_url(f"{base}{items['tokyo'].get_absolute_url()}")

    assert not errors
    # Leaflet finds its marker images beside its CSS (no favicon: not ours to test).
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    # Everything the page fetched came from this server: no CDN, no tiles.
    assert requests and all(url.startswith(base) for url in requests), [
        url for url in requests if not url.startswith(base)
    ]
