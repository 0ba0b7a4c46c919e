"""End to end: real photographs, uploaded, processed by a real `celery worker`, found by words."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFont

from photos.models import Photo, ProcessingStatus
from photos.selectors.search import items_search
from photos.services.uploads import photo_create
from tests.samples import exif_with_gps, jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)  # the worker must see committed rows


@pytest.fixture(autouse=True)
def media_root(shared_media):
    return shared_media  # the worker reads what the test writes


def upload(album, sample: str, filename: str, *, data: bytes | None = None) -> Photo:
    data = data or jpeg_bytes(sample)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=filename, size=len(data)
    )


def test_it_finds_the_worker_processed_cat_and_coffee_by_words(
    module_worker, album, client_for, stranger
):
    from tests.pipeline.conftest import ai_settings_set, all_in, wait_until

    ai_settings_set(auto_process_on_upload=True)
    # Neutral file names: only the AI's words can find them.
    cat = upload(album, "chelsea", "IMG_0001.jpg")
    coffee = upload(album, "coffee", "IMG_0002.jpg")
    ids = [cat.pk, coffee.pk]
    wait_until(all_in(Photo, ids, ProcessingStatus.COMPLETED), timeout=180, what="processing")

    def found(query: str, user=album.owner) -> list[int]:
        return [item.pk for item in items_search(user=user, query=query)]

    assert found("cat")[:1] == [cat.pk]
    assert coffee.pk not in found("cat")
    assert found("coffee or espresso")[:1] == [coffee.pk]
    assert cat.pk not in found("coffee or espresso")
    assert found("cat", user=stranger) == []

    page = client_for(album.owner).get(reverse("search"), {"q": "cat"})
    assert f'data-id="{cat.pk}"' in page.content.decode()


def sign_jpeg(sentence: str) -> bytes:
    """A photo of a sign: dark words on a light board."""
    image = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(image).text((40, 110), sentence, fill="black", font=ImageFont.load_default(56))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def test_it_finds_worker_processed_photos_by_their_text_and_their_place(module_worker, album):
    from tests.pipeline.conftest import ai_settings_set, all_in, wait_until

    ai_settings_set(auto_process_on_upload=True)
    sign = upload(album, "", "IMG_0003.jpg", data=sign_jpeg("Happy birthday Anna"))
    paris = jpeg_bytes("rocket", exif=exif_with_gps(latitude=48.8566, longitude=2.3522))
    trip = upload(album, "", "IMG_0004.jpg", data=paris)
    ids = [sign.pk, trip.pk]
    wait_until(all_in(Photo, ids, ProcessingStatus.COMPLETED), timeout=180, what="processing")

    def found(query: str) -> list[int]:
        return [item.pk for item in items_search(user=album.owner, query=query)]

    assert found("birthday") == [sign.pk]  # read by OCR, nowhere else
    assert found("paris") == [trip.pk]  # from the photo's GPS, reverse-geocoded
