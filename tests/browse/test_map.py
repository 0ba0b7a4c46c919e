"""The map: markers from the items' GPS, paged; the tile host allowed on the map page only."""

from __future__ import annotations

import pytest
from django.test import Client

from photos.models import Album

pytestmark = pytest.mark.django_db

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"


def test_markers_are_the_owners_items_with_a_location(album, row, make_user, client_for):
    lisbon = row(album, gps_latitude=38.7223, gps_longitude=-9.1393)
    row(album)  # no location: no marker
    bob = make_user("bob")
    row(Album.objects.create(owner=bob, title="Bob's"), gps_latitude=1.0, gps_longitude=2.0)

    body = client_for(album.owner).get("/map/markers/").json()

    assert body == {
        "markers": [
            [
                lisbon.pk,
                38.7223,
                -9.1393,
                f"/photos/{lisbon.pk}/",
                f"/media/photos/{lisbon.pk}/thumbnail/",
            ]
        ],
        "next_after": None,
    }


def test_markers_come_a_page_at_a_time(album, row, client_for, monkeypatch):
    monkeypatch.setattr("photos.selectors.browse.MAP_PAGE_SIZE", 2)
    ids = [row(album, gps_latitude=10.0 + i, gps_longitude=20.0).pk for i in range(5)]
    client = client_for(album.owner)

    seen, after, pages = [], 0, 0
    while after is not None:
        body = client.get(f"/map/markers/?after={after}").json()
        seen += [m[0] for m in body["markers"]]
        after = body["next_after"]
        pages += 1

    assert seen == ids
    assert pages == 3
    assert client.get("/map/markers/?after=nonsense").status_code == 200


def test_the_map_needs_a_login(row, album):
    response = Client().get("/map/markers/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_tile_host_is_allowed_for_images_on_the_map_page_only(settings, client_for, owner):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, CSP_MIDDLEWARE]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'"]}
    }
    settings.MAP_TILE_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    client = client_for(owner)

    map_csp = client.get("/map/")["Content-Security-Policy"]
    timeline_csp = client.get("/timeline/")["Content-Security-Policy"]

    assert "img-src 'self' https://tile.example.org" in map_csp
    assert "tile.example.org" not in timeline_csp
    settings.MAP_TILE_URL = "https://{s}.tiles.example.net/{z}/{x}/{y}.png"
    assert (
        "img-src 'self' https://*.tiles.example.net"
        in client.get("/map/")["Content-Security-Policy"]
    )
    settings.MAP_TILE_URL = ""
    page = client.get("/map/")
    assert "img-src 'self';" in page["Content-Security-Policy"] + ";"
    assert 'data-tile-url=""' in page.content.decode()


def test_the_map_page_loads_leaflet_from_our_static_files(client_for, owner):
    html = client_for(owner).get("/map/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "<script>" not in html.split("</head>")[1]  # no inline script in the page body
