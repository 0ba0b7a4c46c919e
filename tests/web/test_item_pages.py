"""The photo and video pages: the media, the processing state, AI results and EXIF facts."""

from __future__ import annotations

import html

from django.urls import reverse

from photos.models import ItemTag, ProcessingStatus, Tag, TagSource
from tests.samples import exif_with_gps, jpeg_bytes
from tests.web.conftest import store_item


def page_of(client, item) -> str:
    response = client.get(item.get_absolute_url())
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_photo_page_shows_the_image_status_and_exif_facts(owner_client, album):
    exif = exif_with_gps(latitude=48.8584, longitude=2.2945, taken="2023:07:14 21:05:00")
    photo = store_item(album, "eiffel.jpg", jpeg_bytes("coffee", exif=exif))

    page = page_of(owner_client, photo)

    assert f'src="{reverse("media", args=["photo", photo.pk, "original"])}"' in page
    assert 'id="processing-status" data-status="pending">Pending<' in page
    assert "14 Jul 2023, 21:05" in page
    assert "Canon EOS R6" in page
    assert "48.85840, 2.29450" in page
    assert "600 × 400" in page
    assert "eiffel.jpg" in page
    assert f'href="{album.get_absolute_url()}"' in page


def test_the_photo_page_shows_the_error_of_a_failed_item(owner_client, photo):
    photo.processing_status = ProcessingStatus.FAILED
    photo.processing_error = "The model ran out of memory."
    photo.save()

    page = page_of(owner_client, photo)

    assert 'data-status="failed">Failed<' in page
    assert "The model ran out of memory." in page


def test_the_photo_page_shows_the_ai_description_and_tags_with_source_and_score(
    owner_client, photo
):
    photo.ai_description = "A tabby cat looking at the camera."
    photo.processing_status = ProcessingStatus.COMPLETED
    photo.save()
    ItemTag.objects.create(item=photo, tag=Tag.objects.create(name="cat"), score=0.93)
    ItemTag.objects.create(
        item=photo, tag=Tag.objects.create(name="tabby"), score=0.41, source=TagSource.AI
    )
    ItemTag.objects.create(
        item=photo, tag=Tag.objects.create(name="Chelsea"), source=TagSource.PERSON
    )

    page = page_of(owner_client, photo)

    assert "A tabby cat looking at the camera." in page
    assert 'data-status="completed">Completed<' in page
    assert page.index('data-tag="cat"') < page.index('data-tag="tabby"')
    assert "AI 0.93" in page and "AI 0.41" in page
    assert '<span class="tag-name">Chelsea</span>' in page


def test_the_video_page_has_a_player_with_the_poster(owner_client, video):
    page = page_of(owner_client, video)

    poster = reverse("media", args=["video", video.pk, "poster"])
    original = reverse("media", args=["video", video.pk, "original"])
    assert f'<video id="item-video" controls preload="metadata" playsinline poster="{poster}">' in (
        page
    )
    assert f'<source src="{original}" type="video/mp4">' in page
    assert "Duration" in page and "2.0 s" in page
    assert 'id="processing-status"' in page


def test_the_album_page_marks_videos_and_shows_status_badges(owner_client, album, photo, video):
    page = html.unescape(owner_client.get(album.get_absolute_url()).content.decode())

    assert page.count('class="badge badge-pending" data-status="pending"') == 2
    assert page.count('class="play-icon"') == 2  # the video's card and the card template
    assert '<span class="duration">2s</span>' in page
    assert f'src="{reverse("media", args=["video", video.pk, "thumbnail"])}"' in page
