"""Media on an S3-compatible bucket: uploads, access-checked presigned redirects,
streaming, deletion and copying a local library into the bucket (moto's S3 server)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from photo_album.media_storage import media_storage
from photos.models import MediaItem, Photo, Video
from photos.services.ai_settings import ai_settings_get
from photos.services.albums import album_delete
from photos.services.processing import error_reason
from tests.samples import jpeg_bytes, mp4_bytes
from tests.storage.conftest import free_port, local_files
from tests.web.conftest import post_files, store_item


def fetch(url: str, headers: dict[str, str] | None = None):
    """GET a URL the browser would follow, outside Django: the bucket answers it."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def media_url(item: MediaItem, variant: str) -> str:
    return reverse("media", args=[item.kind, item.pk, variant])


def test_uploads_live_in_the_bucket_and_are_served_by_short_lived_presigned_redirects(
    s3_media, s3_endpoint, bucket, album, owner, stranger, client_for, media_root
):
    owner_client = client_for(owner)
    photo_data, video_data = jpeg_bytes("chelsea"), mp4_bytes(("chelsea", "coffee"))

    response = post_files(owner_client, album, [("cat.jpg", photo_data), ("clip.mp4", video_data)])

    assert response.status_code == 201, response.content
    photo, video = Photo.objects.get(), Video.objects.get()
    stored = {photo.original.name, photo.thumbnail.name, video.original.name}
    stored |= {video.thumbnail.name, video.poster.name}
    assert bucket.keys() == stored
    assert bucket.read(photo.original.name) == photo_data
    assert local_files(media_root) == []  # nothing of it on this host's disk

    # The owner is redirected to the bucket, with a URL that is never stored...
    redirect = owner_client.get(media_url(photo, "thumbnail"))
    assert redirect.status_code == 302
    assert redirect["Location"].startswith(f"{s3_endpoint}/")
    assert redirect["Cache-Control"] == "private, no-store"
    # Signed for MEDIA_URL_EXPIRE seconds. (moto checks neither signatures nor expiry of
    # presigned URLs; a real S3 server does: the URL is only as good as boto3's signing.)
    query = parse_qs(urlsplit(redirect["Location"]).query)
    assert query["X-Amz-Expires"] == [str(settings.MEDIA_URL_EXPIRE)]
    assert query["X-Amz-Signature"]
    # ...and the bucket serves it with the media view's headers.
    status, headers, body = fetch(redirect["Location"])
    assert (status, headers["Content-Type"]) == (200, "image/webp")
    assert headers["Cache-Control"] == "private, no-cache"
    assert body == bucket.read(photo.thumbnail.name)

    original = owner_client.get(media_url(photo, "original"))
    status, headers, body = fetch(original["Location"])
    assert (headers["Content-Type"], body) == ("image/jpeg", photo_data)
    assert headers["Content-Disposition"] == 'inline; filename="cat.jpg"'
    # A video player seeks with ranges, which the bucket answers itself.
    seek = owner_client.get(media_url(video, "original"))["Location"]
    status, headers, body = fetch(seek, {"Range": "bytes=100-199"})
    assert (status, body) == (206, video_data[100:200])
    poster = owner_client.get(media_url(video, "poster"))
    assert fetch(poster["Location"])[2] == bucket.read(video.poster.name)

    # Access is checked before any URL is signed.
    assert client_for(stranger).get(media_url(photo, "thumbnail")).status_code == 404
    anonymous = Client().get(media_url(photo, "original"))
    assert anonymous.status_code == 302
    assert urlsplit(anonymous["Location"]).path == reverse("login")


def test_streaming_mode_serves_ranges_through_this_host(
    s3_media, album, owner, client_for, settings
):
    settings.MEDIA_SERVE_MODE = "django"
    data = mp4_bytes()
    video = store_item(album, "clip.mp4", data)

    response = client_for(owner).get(media_url(video, "original"), headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data[10:20]


def test_deleting_an_album_deletes_its_objects(
    s3_media, bucket, album, django_capture_on_commit_callbacks
):
    store_item(album, "cat.jpg", jpeg_bytes("rocket"))
    store_item(album, "clip.mp4", mp4_bytes())
    assert len(bucket.keys()) == 5

    with django_capture_on_commit_callbacks(execute=True):
        album_delete(album=album)

    assert bucket.keys() == set()


def test_a_local_library_is_copied_into_the_bucket_verified_and_resumable(
    album, media_root, settings, s3_env, monkeypatch, bucket, capsys
):
    # A library made on local disk, as before the switch to S3.
    photo = store_item(album, "cat.jpg", jpeg_bytes("astronaut"))
    video = store_item(album, "clip.mp4", mp4_bytes())
    gone = store_item(album, "gone.jpg", jpeg_bytes("camera"))
    (media_root / gone.thumbnail.name).unlink()
    names = {photo.original.name, photo.thumbnail.name, video.original.name}
    names |= {video.thumbnail.name, video.poster.name, gone.original.name}
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": media_storage("s3")}

    call_command("media_copy_to_storage", "--dry-run")
    assert "7 files: would copy 6, already there 0, missing 1, failed 0" in capsys.readouterr().out
    assert bucket.keys() == set()

    # A first run stopped half way: one file is already there, another was damaged.
    bucket.put(photo.original.name, (media_root / photo.original.name).read_bytes())
    bucket.put(video.original.name, b"half a video")
    call_command("media_copy_to_storage")
    out = capsys.readouterr()
    assert "7 files: copied 5, already there 1, missing 1, failed 0" in out.out
    assert f"{gone.thumbnail.name}: missing" in out.err
    assert bucket.keys() == names
    for name in names:
        assert bucket.read(name) == (media_root / name).read_bytes()

    call_command("media_copy_to_storage")
    assert "copied 0, already there 6" in capsys.readouterr().out

    # An original damaged on disk since its upload is refused, not copied.
    bucket.client.delete_object(
        Bucket="photo-album-test", Key=f"{s3_env['AWS_LOCATION']}/{photo.original.name}"
    )
    (media_root / photo.original.name).write_bytes(b"bit rot")
    with pytest.raises(CommandError, match="1 files failed"):
        call_command("media_copy_to_storage")
    assert "differs from the checksum recorded at upload" in capsys.readouterr().err
    assert photo.original.name not in bucket.keys()


def settings_in_a_new_process(env: dict[str, str], expression: str):
    return subprocess.run(
        [sys.executable, "-c", f"import photo_album.settings as s; print({expression})"],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_settings_put_media_in_the_bucket_from_the_environment(s3_env, s3_endpoint):
    good = settings_in_a_new_process(
        s3_env,
        "s.STORAGES['default']['OPTIONS']['bucket_name'], s.MEDIA_SERVE_MODE, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'][-1]",
    )
    front_server = settings_in_a_new_process(
        {**s3_env, "MEDIA_SERVE_MODE": "x-accel-redirect"}, "s.MEDIA_SERVE_MODE"
    )

    assert good.stdout.split() == ["photo-album-test", "redirect", s3_endpoint], good.stderr
    assert front_server.returncode != 0
    assert "does not work with MEDIA_STORAGE='s3'" in front_server.stderr


def test_an_unreachable_bucket_is_a_passing_failure_for_the_worker(
    s3_media, album, settings, monkeypatch
):
    photo = store_item(album, "cat.jpg", jpeg_bytes("coffee"))
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    settings.STORAGES = {**settings.STORAGES, "default": media_storage("s3")}
    photo = Photo.objects.get(pk=photo.pk)

    with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever boto3 raises
        photo.original.storage.open(photo.original.name, "rb")

    reason, transient = error_reason(raised.value, ai_settings_get())
    assert transient, reason
    assert reason.startswith("Temporarily unavailable")
