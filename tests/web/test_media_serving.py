"""The media view: headers, HTTP ranges for video seeking, and front-server hand-off."""

from __future__ import annotations

import pytest
from django.urls import reverse

from photos.media_serving import ByteRange, RangeNotSatisfiable, parse_range


def original_url(item) -> str:
    return reverse("media", args=[item.kind, item.pk, "original"])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_serves_the_original_with_its_stored_type_and_name(owner_client, video, media_root):
    response = owner_client.get(original_url(video))

    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == 'inline; filename="clip.mp4"'
    assert body(response) == (media_root / video.original.name).read_bytes()


def test_it_answers_a_range_request_with_206_and_those_bytes(owner_client, video, media_root):
    stored = (media_root / video.original.name).read_bytes()

    response = owner_client.get(original_url(video), headers={"Range": "bytes=100-1099"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-1099/{len(stored)}"
    assert response["Content-Length"] == "1000"
    assert body(response) == stored[100:1100]


def test_it_answers_open_ended_and_suffix_ranges(owner_client, video, media_root):
    stored = (media_root / video.original.name).read_bytes()
    size = len(stored)

    tail = owner_client.get(original_url(video), headers={"Range": f"bytes={size - 10}-"})
    suffix = owner_client.get(original_url(video), headers={"Range": "bytes=-500"})
    past_end = owner_client.get(original_url(video), headers={"Range": "bytes=0-99999999"})

    assert (tail.status_code, body(tail)) == (206, stored[-10:])
    assert (suffix.status_code, body(suffix)) == (206, stored[-500:])
    assert suffix["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert (past_end.status_code, body(past_end)) == (206, stored)


def test_it_answers_416_to_an_unsatisfiable_range(owner_client, video, media_root):
    size = (media_root / video.original.name).stat().st_size

    response = owner_client.get(original_url(video), headers={"Range": f"bytes={size}-"})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_it_ignores_several_ranges_and_sends_the_whole_file(owner_client, video):
    response = owner_client.get(original_url(video), headers={"Range": "bytes=0-1,5-9"})

    assert response.status_code == 200
    assert len(body(response)) == video.size_bytes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=10-19", ByteRange(10, 19)),
        ("bytes=10-", ByteRange(10, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-1000", ByteRange(0, 99)),
        ("bytes=50-1000", ByteRange(50, 99)),
        ("bytes=20-10", None),  # invalid: ignored
        ("bytes=-", None),
        ("items=0-10", None),
        ("bytes=0-1,4-5", None),
        ("bytes=a-b", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_parse_range_refuses_ranges_past_the_end(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_x_accel_redirect_mode_names_the_file_and_sends_no_body(owner_client, video, settings):
    settings.MEDIA_SERVE_MODE = "x-accel-redirect"
    settings.MEDIA_ACCEL_PREFIX = "/protected-media/"

    response = owner_client.get(original_url(video))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{video.original.name}"
    assert response.content == b""
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, no-store"


def test_x_sendfile_mode_names_the_file_path(owner_client, photo, settings, media_root):
    settings.MEDIA_SERVE_MODE = "x-sendfile"

    response = owner_client.get(reverse("media", args=["photo", photo.pk, "thumbnail"]))

    assert response["X-Sendfile"] == str(media_root / photo.thumbnail.name)
    assert response.content == b""
    assert response["Content-Type"] == "image/webp"


def test_it_encodes_an_awkward_original_filename_safely(owner_client, photo):
    photo.original_filename = 'ça "va"\r\n.jpg'
    photo.save(update_fields=["original_filename"])

    response = owner_client.get(original_url(photo))

    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename*=")
    assert disposition.isascii()
    assert '"va"' not in disposition and "\n" not in disposition


def test_a_photo_has_no_poster_and_unknown_names_are_404(owner_client, photo):
    for url in [
        reverse("media", args=["photo", photo.pk, "poster"]),
        reverse("media", args=["photo", photo.pk, "exif"]),
        f"/media/albums/{photo.pk}/original/",  # the kind converter knows no "albums"
        reverse("media", args=["video", photo.pk, "original"]),
        reverse("media", args=["video", photo.pk + 1000, "original"]),
    ]:
        assert owner_client.get(url).status_code == 404, url
