"""Near-duplicates: the same picture re-encoded or resized is found; other pictures are not."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from photos.models import Album
from photos.selectors.duplicates import hash_distance, image_hash, item_near_duplicates
from tests.samples import jpeg_bytes, photo_image
from tests.web.conftest import store_item

pytestmark = pytest.mark.django_db


def png_half_size(name: str) -> bytes:
    image = photo_image(name)
    buffer = io.BytesIO()
    image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def test_it_hashes_a_resized_reencoded_copy_near_and_another_photo_far():
    cat = image_hash(photo_image("chelsea"))
    copy = image_hash(Image.open(io.BytesIO(png_half_size("chelsea"))))
    assert hash_distance(cat, copy) <= 6
    assert hash_distance(cat, image_hash(photo_image("coffee"))) > 16


def test_it_lists_near_duplicates_the_user_may_see(client_for, owner, stranger, album):
    cat = store_item(album, "cat.jpg", jpeg_bytes("chelsea", quality=90))
    copy = store_item(album, "cat-small.png", png_half_size("chelsea"))
    store_item(album, "coffee.jpg", jpeg_bytes("coffee"))
    theirs = Album.objects.create(owner=stranger, title="Theirs")
    store_item(theirs, "cat.jpg", jpeg_bytes("chelsea", quality=80))

    assert item_near_duplicates(user=owner, item=cat) == [copy]
    page = client_for(owner).get(reverse("item-similar", args=["photo", cat.pk]))
    assert [item.pk for item in page.context["page"].object_list] == [copy.pk]
    assert reverse("item-similar", args=["photo", cat.pk]) in (
        client_for(owner).get(cat.get_absolute_url()).content.decode()
    )
    assert (
        client_for(stranger).get(reverse("item-similar", args=["photo", cat.pk])).status_code == 404
    )
