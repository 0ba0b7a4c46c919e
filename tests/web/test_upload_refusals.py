"""Every refused upload: the reason reaches the uploader, and nothing is left behind."""

from __future__ import annotations

import html
import struct
import zlib

import pytest

from photos.models import Photo, Video
from tests.samples import image_bytes, jpeg_bytes
from tests.web.conftest import media_files, post_files

HTML_PAGE = b"<!doctype html><html><head><title>x</title></head><body><script>alert(1)</script>"
SVG_IMAGE = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10"/><script>alert(1)</script></svg>'
)
NOT_READABLE = "This is not a photo or video we can read."


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas (a decompression bomb's first move)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    content = jpeg_bytes("chelsea")
    return content[: len(content) // 2]


REFUSALS = [
    pytest.param("empty.jpg", lambda: b"", "The file is empty.", id="empty"),
    pytest.param("page.jpg", lambda: HTML_PAGE, NOT_READABLE, id="html-named-jpg"),
    pytest.param("drawing.jpg", lambda: SVG_IMAGE, NOT_READABLE, id="svg-named-jpg"),
    pytest.param("cut.jpg", truncated_jpeg, "The image is damaged or incomplete", id="truncated"),
    pytest.param(
        "bomb.png",
        lambda: png_claiming(30000, 30000),
        "The image is too large to decode safely.",
        id="bomb-30000x30000",
    ),
    pytest.param(
        "big.png",
        lambda: png_claiming(2000, 2000),
        "The image is 2000x2000 pixels, more than the 1-megapixel limit "
        "(too large to process safely).",
        id="over-pixel-limit",
    ),
    pytest.param(
        "large.jpg",
        lambda: b"\xff" * (2 * 2**20 + 20_000),
        "The file is 2.0 MB; the limit is 2 MB.",
        id="over-size-limit",
    ),
]


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 2**20
    settings.UPLOAD_MAX_PIXELS = 1_000_000


def assert_nothing_stored(media_root) -> None:
    assert not Photo.objects.exists()
    assert not Video.objects.exists()
    assert media_files(media_root) == []


@pytest.mark.parametrize(("filename", "make", "message"), REFUSALS)
def test_it_refuses_with_a_json_error_and_leaves_nothing(
    owner_client, album, media_root, filename, make, message
):
    response = post_files(owner_client, album, [(filename, make())])

    assert response.status_code == 400
    body = response.json()
    assert body["uploaded"] == []
    [error] = body["errors"]
    assert error["filename"] == filename
    assert error["error"].startswith(message)
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(("filename", "make", "message"), REFUSALS)
def test_it_shows_the_refusal_on_the_page_after_a_plain_form_post(
    owner_client, album, media_root, filename, make, message
):
    response = post_files(owner_client, album, [(filename, make())], json=False)

    assert response.status_code == 302
    page = html.unescape(owner_client.get(response["Location"]).content.decode())
    assert f"{filename}: {message}" in page
    assert 'class="message message-error"' in page
    assert_nothing_stored(media_root)


def test_it_refuses_a_duplicate_in_the_same_album(owner_client, album, media_root):
    content = jpeg_bytes("coffee")
    post_files(owner_client, album, [("cup.jpg", content)])
    files_before = media_files(media_root)

    response = post_files(owner_client, album, [("cup-again.jpg", content)])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"filename": "cup-again.jpg", "error": "This file is already in the album as “cup.jpg”."}
    ]
    page_response = post_files(owner_client, album, [("cup-again.jpg", content)], json=False)
    page = html.unescape(owner_client.get(page_response["Location"]).content.decode())
    assert "cup-again.jpg: This file is already in the album as “cup.jpg”." in page
    assert Photo.objects.count() == 1
    assert media_files(media_root) == files_before


def test_it_accepts_the_same_file_in_another_album(owner_client, album, owner):
    other = album.__class__.objects.create(owner=owner, title="Other")
    content = jpeg_bytes("coffee")
    post_files(owner_client, album, [("cup.jpg", content)])

    response = post_files(owner_client, other, [("cup.jpg", content)])

    assert response.status_code == 201


def test_it_refuses_an_oversized_request_before_reading_it(owner_client, album, media_root):
    too_big = image_bytes("astronaut", "PNG") * 8  # > 2 MB in one request

    response = post_files(owner_client, album, [("huge.png", too_big)])

    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert "the limit is 2 MB per file" in error["error"]
    assert_nothing_stored(media_root)


def test_it_shows_an_oversized_request_refusal_on_the_page(owner_client, album, media_root):
    too_big = image_bytes("astronaut", "PNG") * 8

    response = post_files(owner_client, album, [("huge.png", too_big)], json=False)

    page = html.unescape(owner_client.get(response["Location"]).content.decode())
    assert "the limit is 2 MB per file" in page
    assert_nothing_stored(media_root)
