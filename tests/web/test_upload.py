"""Uploading real photographs and videos through the HTTP endpoint."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import av
import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from ai_engine.media import read_exif
from photos.models import Photo, ProcessingStatus, Video
from tests.samples import exif_with_gps, image_bytes, jpeg_bytes, mp4_bytes, photo_image
from tests.web.conftest import media_files, post_files

pillow_heif.register_heif_opener()


def heic_bytes(name: str = "astronaut") -> bytes:
    buffer = io.BytesIO()
    photo_image(name).save(buffer, "HEIF", quality=80)
    return buffer.getvalue()


def thumbnail_through_media_view(client, item_json: dict) -> Image.Image:
    response = client.get(item_json["thumbnail_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    image.load()
    return image


PHOTO_CASES = [
    ("chelsea.jpg", lambda: jpeg_bytes("chelsea"), "image/jpeg", "jpg", (451, 300)),
    ("coffee.png", lambda: image_bytes("coffee", "PNG"), "image/png", "png", (600, 400)),
    ("rocket.webp", lambda: image_bytes("rocket", "WEBP"), "image/webp", "webp", (640, 427)),
    ("camera.gif", lambda: image_bytes("camera", "GIF"), "image/gif", "gif", (512, 512)),
    ("astronaut.heic", heic_bytes, "image/heic", "heic", (512, 512)),
]


@pytest.mark.parametrize(("filename", "make", "content_type", "extension", "size"), PHOTO_CASES)
def test_it_stores_real_photos_pending_with_thumbnails(
    owner_client, album, media_root, filename, make, content_type, extension, size
):
    content = make()
    response = post_files(owner_client, album, [(filename, content)])

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["errors"] == []
    [uploaded] = body["uploaded"]
    photo = Photo.objects.get(pk=uploaded["id"])
    assert uploaded == {
        "id": photo.pk,
        "kind": "photo",
        "url": reverse("item-detail", args=["photo", photo.pk]),
        "status_url": reverse("item-status", args=["photo", photo.pk]),
        "note": "Queued for AI processing.",
        "thumbnail_url": reverse("media", args=["photo", photo.pk, "thumbnail"]),
        "status": "pending",
        "status_label": "Pending",
        "filename": filename,
        "duration_seconds": None,
    }
    assert photo.processing_status == ProcessingStatus.PENDING
    assert photo.content_type == content_type
    assert (photo.width, photo.height) == size
    assert photo.size_bytes == len(content)
    # Stored under a server-made name, never the client's.
    assert filename not in photo.original.name
    assert photo.original.name.endswith(f".{extension}")
    assert (media_root / photo.original.name).read_bytes() == content
    thumbnail = thumbnail_through_media_view(owner_client, uploaded)
    assert max(thumbnail.size) <= 512
    assert thumbnail.size[0] / thumbnail.size[1] == pytest.approx(size[0] / size[1], rel=0.02)


def test_it_reads_exif_date_camera_and_gps(owner_client, album):
    exif = exif_with_gps(latitude=38.7223, longitude=-9.1393, taken="2024:05:12 14:30:00")
    response = post_files(owner_client, album, [("lisbon.jpg", jpeg_bytes("coffee", exif=exif))])

    photo = Photo.objects.get(pk=response.json()["uploaded"][0]["id"])
    assert photo.camera_make == "Canon"
    assert photo.camera_model == "EOS R6"
    assert photo.taken_at.strftime("%Y-%m-%d %H:%M:%S") == "2024-05-12 14:30:00"
    assert photo.gps_latitude == pytest.approx(38.7223, abs=1e-4)
    assert photo.gps_longitude == pytest.approx(-9.1393, abs=1e-4)


def test_it_makes_upright_thumbnails_from_exif_orientation(owner_client, album):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; rotate 90° clockwise to view
    landscape = jpeg_bytes("chelsea", exif=exif)  # stored 451x300 (landscape)

    response = post_files(owner_client, album, [("turned.jpg", landscape)])

    uploaded = response.json()["uploaded"][0]
    photo = Photo.objects.get(pk=uploaded["id"])
    assert (photo.width, photo.height) == (300, 451)
    thumbnail = thumbnail_through_media_view(owner_client, uploaded)
    assert thumbnail.size[1] > thumbnail.size[0]  # portrait, as the viewer sees it


def codec_available(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
    return True


VIDEO_CASES = [
    # (filename, container, codec, stored content type)
    ("clip.mp4", "mp4", "libx264", "video/mp4"),
    ("clip.mov", "mov", "libx264", "video/mp4"),
    ("clip.webm", "webm", "libvpx-vp9", "video/webm"),
    ("clip.mkv", "matroska", "libx264", "video/x-matroska"),
    ("clip.avi", "avi", "mpeg4", "video/x-msvideo"),
]


@pytest.mark.parametrize(("filename", "fmt", "codec", "content_type"), VIDEO_CASES)
def test_it_stores_videos_with_poster_and_thumbnail(
    owner_client, album, media_root, filename, fmt, codec, content_type
):
    if not codec_available(codec):
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    content = mp4_bytes(("chelsea", "coffee"), seconds_each=1.0, fmt=fmt, codec=codec)

    response = post_files(owner_client, album, [(filename, content)])

    assert response.status_code == 201, response.content
    uploaded = response.json()["uploaded"][0]
    assert uploaded["kind"] == "video"
    assert uploaded["url"] == reverse("item-detail", args=["video", uploaded["id"]])
    video = Video.objects.get(pk=uploaded["id"])
    assert video.processing_status == ProcessingStatus.PENDING
    assert video.content_type == content_type
    assert (video.width, video.height) == (320, 240)
    assert video.duration_seconds == pytest.approx(2.0, abs=0.25)
    assert uploaded["duration_seconds"] == video.duration_seconds
    assert "clip" not in video.original.name
    assert (media_root / video.original.name).read_bytes() == content
    thumbnail = thumbnail_through_media_view(owner_client, uploaded)
    assert thumbnail.size == (320, 240)
    poster = owner_client.get(reverse("media", args=["video", video.pk, "poster"]))
    assert poster["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(poster.streaming_content))).size == (320, 240)


def test_it_stores_a_batch_of_photos_and_a_video_in_one_request(owner_client, album):
    files = [
        ("cat.jpg", jpeg_bytes("chelsea")),
        ("cup.png", image_bytes("coffee", "PNG")),
        ("clip.mp4", mp4_bytes()),
    ]

    response = post_files(owner_client, album, files)

    assert response.status_code == 201
    assert [item["filename"] for item in response.json()["uploaded"]] == [
        "cat.jpg",
        "cup.png",
        "clip.mp4",
    ]
    assert Photo.objects.filter(album=album).count() == 2
    assert Video.objects.filter(album=album).count() == 1


def test_it_stores_the_good_file_and_reports_the_bad_one_in_a_mixed_batch(
    owner_client, album, media_root
):
    files = [("cat.jpg", jpeg_bytes("chelsea")), ("page.jpg", b"<html><body>nope</body></html>")]

    response = post_files(owner_client, album, files)

    assert response.status_code == 207
    body = response.json()
    assert [item["filename"] for item in body["uploaded"]] == ["cat.jpg"]
    assert body["errors"] == [
        {"filename": "page.jpg", "error": "This is not a photo or video we can read."}
    ]
    photo = Photo.objects.get()
    assert {path.name for path in media_files(media_root)} == {
        photo.original.name.rsplit("/", 1)[-1],
        photo.thumbnail.name.rsplit("/", 1)[-1],
    }


def test_a_plain_form_post_redirects_back_with_a_message(owner_client, album):
    files = [("cat.jpg", jpeg_bytes("chelsea")), ("cup.jpg", jpeg_bytes("coffee"))]

    response = post_files(owner_client, album, files, json=False)

    assert response.status_code == 302
    assert response["Location"] == album.get_absolute_url()
    page = owner_client.get(response["Location"]).content.decode()
    assert "Uploaded 2 files." in page
    assert page.count('data-kind="photo"') == 2


def test_it_says_to_choose_files_when_none_were_sent(owner_client, album):
    response = post_files(owner_client, album, [])

    assert response.status_code == 400
    assert response.json()["errors"][0]["error"] == "Choose one or more photos or videos."


def test_the_upload_endpoint_only_accepts_post(owner_client, album):
    response = owner_client.get(reverse("album-upload", args=[album.pk]))

    assert response.status_code == 405


def test_the_upload_endpoint_still_checks_csrf(owner, album):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(album.get_absolute_url())  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    upload = SimpleUploadedFile("cat.jpg", jpeg_bytes("chelsea"))
    url = reverse("album-upload", args=[album.pk])

    forged = client.post(url, {"files": [upload]}, headers={"Accept": "application/json"})
    upload.seek(0)
    genuine = client.post(
        url, {"files": [upload]}, headers={"Accept": "application/json", "X-CSRFToken": token}
    )

    assert forged.status_code == 403
    assert genuine.status_code == 201
    assert Photo.objects.count() == 1


def test_the_row_and_the_engine_read_the_same_time_and_place(owner_client, album, media_root):
    """One EXIF reader: the offset the camera recorded counts, and GPS 0,0 is no position."""
    exif = exif_with_gps(latitude=0, longitude=0, taken="2024:05:12 14:30:00")
    exif.get_ifd(0x8769)[0x9011] = "+02:00"  # OffsetTimeOriginal
    response = post_files(owner_client, album, [("noon.jpg", jpeg_bytes("coffee", exif=exif))])

    photo = Photo.objects.get(pk=response.json()["uploaded"][0]["id"])
    assert photo.taken_at == datetime(2024, 5, 12, 12, 30, tzinfo=UTC)
    assert (photo.gps_latitude, photo.gps_longitude) == (None, None)
    with Image.open(media_root / photo.original.name) as stored:
        facts = read_exif(stored)
    assert (facts.taken_at, facts.gps) == (photo.taken_at, None)
