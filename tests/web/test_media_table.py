"""One media table: the checklist's shell snippets, the data migration, old links, the kind URL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from photos.models import Album, ItemTag, MediaItem, Photo, Tag, Video

REPO = Path(__file__).resolve().parents[2]
BEFORE = [("photos", "0004_item_embedding")]
AFTER = [("photos", "0005_one_media_table")]

# Copied verbatim from spec/celery-production-validation-checklist.md (Test 3.3,
# Test 4.2, the daily and weekly checks); only YOUR_*_ID is filled in.
CHECKLIST_SNIPPETS = [
    """from photos.models import Photo
photo = Photo.objects.get(id=YOUR_PHOTO_ID)
print(f"Status: {photo.processing_status}")
print(f"Description: {photo.ai_description}")
print(f"Tags: {[tag.name for tag in photo.tags.all()]}")
""",
    """from photos.models import Video
video = Video.objects.get(id=YOUR_VIDEO_ID)
print(f"Status: {video.processing_status}")
print(f"Description: {video.ai_description}")
print(f"Tags: {[tag.name for tag in video.tags.all()]}")
""",
    """from photos.models import Photo, Video
from django.utils import timezone
from datetime import timedelta

yesterday = timezone.now() - timedelta(days=1)
failed_photos = Photo.objects.filter(processing_status='failed', uploaded_at__gte=yesterday).count()
failed_videos = Video.objects.filter(processing_status='failed', uploaded_at__gte=yesterday).count()
print(f"Failed in last 24h: {failed_photos} photos, {failed_videos} videos")
""",  # noqa: E501 - verbatim
    """from photos.models import Photo, Video
from django.utils import timezone
from datetime import timedelta

week_ago = timezone.now() - timedelta(days=7)
old_pending_photos = Photo.objects.filter(processing_status='pending', uploaded_at__lte=week_ago).count()
old_pending_videos = Video.objects.filter(processing_status='pending', uploaded_at__lte=week_ago).count()
print(f"Stuck pending (>7 days): {old_pending_photos} photos, {old_pending_videos} videos")
""",  # noqa: E501 - verbatim
    """from photos.tasks import process_pending_photos_task, process_pending_videos_task
""",
]


def row(model: type[MediaItem], album: Album, n: int, **fields) -> MediaItem:
    return model.objects.create(
        album=album,
        uploader=album.owner,
        original=f"originals/test/{n}.jpg",
        original_filename=f"item-{n}.jpg",
        content_type="image/jpeg",
        size_bytes=1,
        checksum_sha256=f"{n:064d}",
        **fields,
    )


def test_photo_and_video_are_kinds_of_one_table(album):
    photo = row(Photo, album, 1)
    video = row(Video, album, 2, duration_seconds=3.0)

    assert (photo.kind, video.kind) == ("photo", "video")
    assert list(Photo.objects.all()) == [photo]
    assert list(Video.objects.all()) == [video]
    assert set(MediaItem.objects.values_list("kind", flat=True)) == {"photo", "video"}
    with pytest.raises(Photo.DoesNotExist):
        Photo.objects.get(id=video.pk)


@pytest.mark.django_db(transaction=True)
def test_the_checklists_shell_snippets_run_verbatim(album):
    now = timezone.now()
    photo = row(Photo, album, 1, processing_status="failed", ai_description="A tabby cat.")
    for name in ("tabby", "cat"):
        ItemTag.objects.create(item=photo, tag=Tag.objects.create(name=name), score=0.9)
    video = row(Video, album, 2, processing_status="failed")
    row(Photo, album, 3, processing_status="pending", uploaded_at=now - timedelta(days=8))
    script = "\n".join(CHECKLIST_SNIPPETS)
    script = script.replace("YOUR_PHOTO_ID", str(photo.pk)).replace("YOUR_VIDEO_ID", str(video.pk))

    output = manage_py_shell(script)

    # Django 5.2's shell first says how many models it imported for you.
    lines = [line for line in output.splitlines() if line and "automatically" not in line]
    assert lines == [
        "Status: failed",
        "Description: A tabby cat.",
        "Tags: ['cat', 'tabby']",
        "Status: failed",
        "Description: ",
        "Tags: []",
        "Failed in last 24h: 1 photos, 1 videos",
        "Stuck pending (>7 days): 1 photos, 0 videos",
    ]


def manage_py_shell(script: str) -> str:
    """`python manage.py shell` as an operator runs it, on the test database."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_photos_videos_and_tags_into_one_table(make_user, client):
    owner = make_user("ada")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        ids = old_rows(old, owner.pk)
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
    finally:
        # The rest of the suite runs on the latest schema.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    photo = Photo.objects.get(id=ids["photo"])
    assert [tag.name for tag in photo.tags.all()] == ["cat"]
    # Video 500 had the photo's id: it got a new one; video 900 kept its own.
    moved = Video.objects.get(legacy_video_id=ids["photo"])
    kept = Video.objects.get(legacy_video_id=900)
    assert moved.pk not in (ids["photo"], 900) and kept.pk == 900
    assert (moved.original.name, moved.poster.name) == ("originals/videos/a.mp4", "posters/a.jpg")
    assert [tag.name for tag in moved.tags.all()] == ["clip"]
    assert moved.duration_seconds == 4.5
    assert Album.objects.get().cover_photo_id == photo.pk
    # New items take ids after every migrated one.
    assert row(Photo, Album.objects.get(), 7).pk > max(moved.pk, 900)

    client.force_login(owner)
    response = client.get(f"/videos/{ids['photo']}/")
    assert response.status_code == 301
    assert response["Location"] == reverse("item-detail", args=["video", moved.pk])
    assert client.get(f"/videos/{kept.pk}/").status_code == 200


def old_rows(apps, owner_id: int) -> dict[str, int]:
    """Rows in the two old tables, as they were before migration 0005."""
    album = apps.get_model("photos", "Album").objects.create(owner_id=owner_id, title="Old")
    common = {"album": album, "uploader_id": owner_id, "content_type": "x", "size_bytes": 1}
    photo = apps.get_model("photos", "Photo").objects.create(
        id=500, original="originals/photos/a.jpg", checksum_sha256="1", **common
    )
    album.cover_photo = photo
    album.save()
    video_model = apps.get_model("photos", "Video")
    moved = video_model.objects.create(
        id=500,
        original="originals/videos/a.mp4",
        poster="posters/a.jpg",
        checksum_sha256="2",
        duration_seconds=4.5,
        **common,
    )
    video_model.objects.create(
        id=900, original="originals/videos/b.mp4", checksum_sha256="3", **common
    )
    tag = apps.get_model("photos", "Tag")
    apps.get_model("photos", "PhotoTag").objects.create(
        photo=photo, tag=tag.objects.create(name="cat")
    )
    apps.get_model("photos", "VideoTag").objects.create(
        video=moved, tag=tag.objects.create(name="clip")
    )
    return {"photo": photo.pk}


def test_an_item_asked_for_under_the_other_kind_redirects(client_for, owner, album):
    video = row(Video, album, 1)

    response = client_for(owner).get(f"/photos/{video.pk}/")

    assert response.status_code == 301
    assert response["Location"] == f"/videos/{video.pk}/"


def test_an_unknown_kind_is_404(client_for, owner, album):
    photo = row(Photo, album, 1)
    client = client_for(owner)

    assert client.get(f"/photos/{photo.pk}/").status_code == 200
    assert client.get(f"/pictures/{photo.pk}/").status_code == 404
    assert client.get(f"/media/pictures/{photo.pk}/thumbnail/").status_code == 404


def test_no_redirect_reveals_someone_elses_item(client_for, stranger, album):
    video = row(Video, album, 1)

    assert client_for(stranger).get(f"/photos/{video.pk}/").status_code == 404
