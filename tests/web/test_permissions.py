"""Who may see what: owners their own, staff everything, others a 404, anonymous the login page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from photos.models import Album, Photo
from tests.samples import jpeg_bytes
from tests.web.conftest import post_files


@pytest.fixture
def private_urls(album, photo, video) -> list[str]:
    return [
        reverse("album-detail", args=[album.pk]),
        reverse("album-update", args=[album.pk]),
        reverse("album-delete", args=[album.pk]),
        reverse("item-detail", args=["photo", photo.pk]),
        reverse("item-detail", args=["video", video.pk]),
        reverse("media", args=["photo", photo.pk, "original"]),
        reverse("media", args=["photo", photo.pk, "thumbnail"]),
        reverse("media", args=["video", video.pk, "original"]),
        reverse("media", args=["video", video.pk, "thumbnail"]),
        reverse("media", args=["video", video.pk, "poster"]),
    ]


def test_another_user_gets_404_for_every_page_and_file(client_for, stranger, private_urls):
    client = client_for(stranger)

    for url in private_urls:
        assert client.get(url).status_code == 404, url


def test_another_user_cannot_upload_rename_or_delete(client_for, stranger, album):
    client = client_for(stranger)

    upload = post_files(client, album, [("cat.jpg", jpeg_bytes())])
    rename = client.post(reverse("album-update", args=[album.pk]), {"title": "Mine now"})
    delete = client.post(reverse("album-delete", args=[album.pk]))

    assert (upload.status_code, rename.status_code, delete.status_code) == (404, 404, 404)
    album.refresh_from_db()
    assert album.title == "Holidays"
    assert not album.items.exists()


def test_staff_see_everyone_s_pages_and_files(client_for, staff, private_urls):
    client = client_for(staff)

    for url in private_urls:
        assert client.get(url).status_code == 200, url


def test_the_owner_sees_their_pages_and_files(owner_client, private_urls):
    for url in private_urls:
        assert owner_client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_log_in(album, private_urls):
    client = Client()
    urls = [reverse("album-list"), reverse("album-create"), *private_urls]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next="), url
    upload = post_files(client, album, [("cat.jpg", jpeg_bytes())])
    assert upload.status_code == 302
    assert Photo.objects.filter(album=album).count() == 1  # the fixture's photo only


def test_the_album_list_shows_only_the_user_s_albums(client_for, album, stranger, staff):
    Album.objects.create(owner=stranger, title="Mallory's secrets")

    owner_page = client_for(album.owner).get(reverse("album-list")).content.decode()
    staff_page = client_for(staff).get(reverse("album-list")).content.decode()

    assert "Holidays" in owner_page
    assert "Mallory" not in owner_page
    assert "Holidays" in staff_page and "Mallory" in staff_page


def test_media_is_never_usable_from_the_browser_cache_after_logout(owner_client, photo, video):
    # Originals are never stored; thumbnails and posters only with a revalidation each use.
    for kind, item, variant, cache_control in [
        ("photo", photo, "original", "private, no-store"),
        ("video", video, "original", "private, no-store"),
        ("photo", photo, "thumbnail", "private, no-cache"),
        ("video", video, "poster", "private, no-cache"),
    ]:
        response = owner_client.get(reverse("media", args=[kind, item.pk, variant]))
        assert response["Cache-Control"] == cache_control
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_thumbnail_revalidates_cheaply_while_logged_in_and_not_after_logout(owner_client, photo):
    url = reverse("media", args=["photo", photo.pk, "thumbnail"])
    etag = owner_client.get(url)["ETag"]

    again = owner_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    owner_client.post(reverse("logout"))
    after_logout = owner_client.get(url, headers={"If-None-Match": etag})
    assert after_logout.status_code == 302
    assert after_logout["Location"].startswith(reverse("login"))


def test_there_is_no_public_route_to_media_root(owner_client, photo):
    response = owner_client.get(f"/media/{photo.original.name}")

    assert response.status_code == 404
