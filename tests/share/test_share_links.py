"""Share links: what a visitor without an account sees, and for how long."""

from __future__ import annotations

import io
import struct
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from photos.models import ItemTag, ShareLink, Tag, TagSource
from photos.services.share_links import share_link_revoke
from tests.samples import exif_with_gps, image_bytes, mp4_bytes
from tests.share.conftest import PARIS, gps_of, located_mp4, read, share_url, video_facts
from tests.web.conftest import store_item

pytestmark = pytest.mark.django_db


def jpeg_without_app1(data: bytes) -> bytes:
    """The JPEG with its APP1 (EXIF/XMP) segments cut out: every other byte, picture included."""
    out, pos = [data[:2]], 2
    while data[pos + 1] not in (0xDA, 0xD9):
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if data[pos + 1] != 0xE1:
            out.append(data[pos : pos + 2 + length])
        pos += 2 + length
    out.append(data[pos:])
    return b"".join(out)


def test_it_shows_a_visitor_the_grid_item_and_slideshow_and_counts_the_visit(
    visitor, make_link, gps_photo
):
    created = make_link()
    response = visitor.get(share_url(created.token))
    assert response.status_code == 200
    assert "Holidays" in response.text
    item_url = share_url(created.token, "share-item", "photo", gps_photo.pk)
    assert item_url in response.text
    assert visitor.get(item_url).status_code == 200
    slideshow = visitor.get(share_url(created.token, "share-slideshow"))
    assert share_url(created.token, "share-media", "photo", gps_photo.pk, "thumbnail") in (
        slideshow.text
    )
    thumb = visitor.get(share_url(created.token, "share-media", "photo", gps_photo.pk, "thumbnail"))
    assert visitor.head(thumb.request["PATH_INFO"]).status_code == 200  # players may ask HEAD
    assert thumb.status_code == 200 and Image.open(io.BytesIO(read(thumb))).format == "WEBP"

    created.link.refresh_from_db()
    assert created.link.open_count == 1
    assert created.link.last_opened_at is not None


def test_it_answers_404_to_unknown_revoked_and_expired_links(visitor, make_link, gps_photo):
    assert visitor.get(share_url("not-a-token")).status_code == 404
    revoked = make_link()
    share_link_revoke(link=revoked.link)
    expired = make_link(expires_at=timezone.now() - timedelta(seconds=1))
    for token in (revoked.token, expired.token):
        assert visitor.get(share_url(token)).status_code == 404
        media = share_url(token, "share-media", "photo", gps_photo.pk, "thumbnail")
        assert visitor.get(media).status_code == 404
    live = make_link(expires_at=timezone.now() + timedelta(days=1))
    assert visitor.get(share_url(live.token)).status_code == 200


def test_revoking_a_link_closes_it_for_a_visitor_already_looking(visitor, make_link, gps_photo):
    created = make_link(allow_originals=True)
    original = share_url(created.token, "share-media", "photo", gps_photo.pk, "original")
    assert visitor.get(original).status_code == 200
    share_link_revoke(link=created.link)
    assert visitor.get(original).status_code == 404
    assert (
        visitor.get(share_url(created.token, "share-item", "photo", gps_photo.pk)).status_code
        == 404
    )


def test_it_asks_for_the_password_once_per_browser_session(visitor, make_link, gps_photo):
    created = make_link(password="open sesame")
    page = visitor.get(share_url(created.token))
    assert page.status_code == 200 and "share-password-form" in page.text
    assert "Holidays" not in page.text  # not even the album's title before the password
    item_url = share_url(created.token, "share-item", "photo", gps_photo.pk)
    assert visitor.get(item_url).status_code == 404

    wrong = visitor.post(share_url(created.token), {"password": "guess"})
    assert wrong.status_code == 403 and "not the password" in wrong.text
    right = visitor.post(share_url(created.token), {"password": "open sesame"})
    assert right.status_code == 302
    cookie = right.cookies[f"share_{created.link.pk}"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert "Holidays" in visitor.get(share_url(created.token)).text
    assert visitor.get(item_url).status_code == 200

    # Another browser (no cookie) is asked again.
    assert "share-password-form" in Client().get(share_url(created.token)).text


def test_it_strips_gps_from_originals_while_the_owner_keeps_them(
    visitor, client_for, owner, make_link, gps_photo
):
    created = make_link(allow_originals=True)
    shared = read(
        visitor.get(share_url(created.token, "share-media", "photo", gps_photo.pk, "original"))
    )
    owners = read(client_for(owner).get(reverse("media", args=["photo", gps_photo.pk, "original"])))

    assert gps_of(owners)[2] and gps_of(owners)[4]  # the owner's original still has its position
    assert gps_of(shared) == {}
    exif = Image.open(io.BytesIO(shared)).getexif()
    assert exif[0x010F] == "Canon"  # only the location went: the camera stays
    assert jpeg_without_app1(shared) == jpeg_without_app1(owners)  # the picture is untouched
    with gps_photo.original.open("rb") as stored:
        assert gps_of(stored.read())  # and the stored file was never modified


def test_it_keeps_gps_when_the_owner_allows_location(visitor, make_link, gps_photo):
    created = make_link(allow_originals=True, allow_location=True)
    shared = read(
        visitor.get(share_url(created.token, "share-media", "photo", gps_photo.pk, "original"))
    )
    assert gps_of(shared)
    item = visitor.get(share_url(created.token, "share-item", "photo", gps_photo.pk))
    assert f"{PARIS[0]:.5f}" in item.text
    hidden = make_link(allow_originals=True)
    item = visitor.get(share_url(hidden.token, "share-item", "photo", gps_photo.pk))
    assert f"{PARIS[0]:.5f}" not in item.text


def test_it_strips_exif_from_png_originals(visitor, make_link, album):
    image = Image.open(io.BytesIO(image_bytes("coffee", "PNG")))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif_with_gps(latitude=PARIS[0], longitude=PARIS[1]))
    png = store_item(album, "coffee.png", buffer.getvalue())
    created = make_link(allow_originals=True)
    shared = read(visitor.get(share_url(created.token, "share-media", "photo", png.pk, "original")))
    assert gps_of(buffer.getvalue()) and gps_of(shared) == {}
    assert Image.open(io.BytesIO(shared)).tobytes() == image.tobytes()


def test_a_display_size_link_serves_no_original_and_no_zip(visitor, make_link, gps_photo):
    created = make_link()
    original = share_url(created.token, "share-media", "photo", gps_photo.pk, "original")
    assert visitor.get(original).status_code == 404
    assert visitor.get(share_url(created.token, "share-download")).status_code == 404
    item = visitor.get(share_url(created.token, "share-item", "photo", gps_photo.pk))
    assert original not in item.text


def test_a_video_is_shared_without_its_location_and_still_plays(visitor, make_link, album):
    video = store_item(album, "clip.mp4", located_mp4())
    stored = video.original.open("rb").read()
    created = make_link(allow_originals=True)
    response = visitor.get(share_url(created.token, "share-media", "video", video.pk, "original"))
    shared = read(response)

    assert video_facts(stored)[0]["location"] == "+48.8584+002.2945/"
    metadata, frames = video_facts(shared)
    assert "location" not in metadata and b"loci" not in shared
    assert frames == video_facts(stored)[1] == 10  # every frame still decodes
    assert len(shared) == len(stored) == int(response["Content-Length"])

    # A player seeking asks for ranges: each is the same bytes as that slice of the whole.
    url = share_url(created.token, "share-media", "video", video.pk, "original")
    moov = stored.find(b"moov") - 4
    for first, last in [(0, 99), (moov - 10, moov + 500), (len(stored) - 50, len(stored) - 1)]:
        part = visitor.get(url, headers={"Range": f"bytes={first}-{last}"})
        assert part.status_code == 206
        assert part["Content-Range"] == f"bytes {first}-{last}/{len(stored)}"
        assert read(part) == shared[first : last + 1]

    located = make_link(allow_originals=True, allow_location=True)
    kept = read(visitor.get(share_url(located.token, "share-media", "video", video.pk, "original")))
    assert kept == stored


def test_a_display_size_link_shows_a_video_as_its_poster(visitor, make_link, album):
    video = store_item(album, "clip.mp4", mp4_bytes())
    created = make_link()
    base = (created.token, "share-media", "video", video.pk)
    assert visitor.get(share_url(*base, "original")).status_code == 404
    assert visitor.get(share_url(*base, "poster")).status_code == 200


def test_a_visitor_sees_ai_tags_and_description_but_nothing_a_person_wrote(
    visitor, make_link, gps_photo
):
    ItemTag.objects.create(item=gps_photo, tag=Tag.objects.create(name="cat"), score=0.9)
    ItemTag.objects.create(
        item=gps_photo, tag=Tag.objects.create(name="aunt gertrude"), source=TagSource.PERSON
    )
    gps_photo.ai_description = "Gertrude on the sofa"
    gps_photo.description_source = TagSource.PERSON
    gps_photo.save()
    created = make_link()
    page = visitor.get(share_url(created.token, "share-item", "photo", gps_photo.pk)).text
    assert "cat" in page
    assert "gertrude" not in page.lower()
    assert reverse("item-tag-add", args=["photo", gps_photo.pk]) not in page


def test_the_owner_creates_and_revokes_links_from_the_album_page(client_for, owner, album):
    client = client_for(owner)
    response = client.post(
        reverse("share-create", args=[album.pk]),
        {"label": "Family", "expires_in": "7", "password": "", "allow_originals": "on"},
        follow=True,
    )
    link = ShareLink.objects.get(album=album)
    token_url = next(m.message for m in response.context["messages"]).split(": ", 1)[1]
    assert link.token_hint in token_url and link.allow_originals and not link.allow_location
    assert token_url.split("/s/")[1].strip("/") not in link.token_hash  # stored hashed
    assert link.expires_at > timezone.now() + timedelta(days=6)
    assert 'id="share-link-list"' in response.text

    client.post(reverse("share-revoke", args=[album.pk, link.pk]))
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert Client().get(token_url).status_code == 404


def test_only_the_owner_manages_links(client_for, stranger, staff, album, make_link):
    created = make_link()
    for user in (stranger, staff):
        client = client_for(user)
        assert client.post(reverse("share-create", args=[album.pk])).status_code == 404
        revoke = reverse("share-revoke", args=[album.pk, created.link.pk])
        assert client.post(revoke).status_code == 404
    assert ShareLink.objects.count() == 1
    created.link.refresh_from_db()
    assert created.link.revoked_at is None


def test_ten_wrong_passwords_lock_the_link_for_a_while(visitor, make_link):
    created = make_link(password="open sesame")
    for _ in range(10):
        assert visitor.post(share_url(created.token), {"password": "guess"}).status_code == 403
    locked = visitor.post(share_url(created.token), {"password": "open sesame"})
    assert locked.status_code == 429  # even the right password waits out the lock
    ShareLink.objects.filter(pk=created.link.pk).update(
        password_locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert visitor.post(share_url(created.token), {"password": "open sesame"}).status_code == 302


def test_the_album_page_lets_the_owner_pick_items_for_a_zip(client_for, owner, gps_photo):
    page = client_for(owner).get(gps_photo.album.get_absolute_url()).text
    assert 'id="download-selection"' in page
    assert f'name="item" value="{gps_photo.pk}" form="download-selection"' in page
