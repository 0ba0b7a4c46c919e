"""Creating, renaming and deleting albums through the pages."""

from __future__ import annotations

from django.urls import reverse

from photos.models import Album, Photo, Video
from tests.samples import jpeg_bytes
from tests.web.conftest import media_files, post_files


def test_it_creates_an_album_for_the_user(owner_client, owner):
    response = owner_client.post(
        reverse("album-create"), {"title": "  Lisbon 2024 ", "description": "Trams and tiles"}
    )

    album = Album.objects.get()
    assert response.status_code == 302
    assert response["Location"] == album.get_absolute_url()
    assert album.owner == owner
    assert (album.title, album.description) == ("Lisbon 2024", "Trams and tiles")
    page = owner_client.get(response["Location"]).content.decode()
    assert "Album “Lisbon 2024” created." in page


def test_it_refuses_an_album_without_a_title(owner_client):
    response = owner_client.post(reverse("album-create"), {"title": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Album.objects.exists()


def test_it_renames_an_album(owner_client, album):
    form = owner_client.get(reverse("album-update", args=[album.pk])).content.decode()
    assert 'value="Holidays"' in form

    response = owner_client.post(
        reverse("album-update", args=[album.pk]), {"title": "Summer", "description": "Hot"}
    )

    assert response.status_code == 302
    album.refresh_from_db()
    assert (album.title, album.description) == ("Summer", "Hot")


def test_it_asks_before_deleting_an_album(owner_client, album, photo):
    response = owner_client.get(reverse("album-delete", args=[album.pk]))

    page = response.content.decode()
    assert "Delete “Holidays”?" in page
    assert "1 photo and 0 videos" in page
    assert Album.objects.filter(pk=album.pk).exists()


def test_deleting_an_album_removes_its_rows_and_files(
    owner_client, album, photo, video, media_root, django_capture_on_commit_callbacks
):
    assert len(media_files(media_root)) == 5  # original + thumbnail, original + thumbnail + poster

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("album-delete", args=[album.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("album-list")
    assert not Album.objects.exists()
    assert not Photo.objects.exists() and not Video.objects.exists()
    assert media_files(media_root) == []


def test_the_album_list_shows_covers_and_counts(owner_client, album, owner):
    files = [("a.jpg", jpeg_bytes("chelsea")), ("b.jpg", jpeg_bytes("coffee"))]
    post_files(owner_client, album, files)
    Album.objects.create(owner=owner, title="Empty one")

    page = owner_client.get(reverse("album-list")).content.decode()

    album.refresh_from_db()
    cover = reverse("media", args=["photo", album.cover_photo_id, "thumbnail"])
    assert f'src="{cover}"' in page
    assert "2 photos · 0 videos" in page
    assert "0 photos · 0 videos" in page
