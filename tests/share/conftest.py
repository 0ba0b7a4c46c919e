from __future__ import annotations

import io

import av
import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from photos.models import Album, MediaItem
from photos.services.share_links import CreatedShareLink, share_link_create
from tests.samples import exif_with_gps, jpeg_bytes, photo_image
from tests.web.conftest import store_item

PARIS = (48.8584, 2.2945)


def gps_jpeg(name: str = "chelsea") -> bytes:
    """A real photograph carrying camera, date and GPS EXIF."""
    return jpeg_bytes(name, exif=exif_with_gps(latitude=PARIS[0], longitude=PARIS[1]))


def gps_of(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))


def located_mp4() -> bytes:
    """A real video whose container says where it was filmed (a 3GPP `loci` box in udta)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        container.metadata["location"] = "+48.8584+002.2945/"
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height = 320, 240
        stream.pix_fmt = "yuv420p"
        for name in ("chelsea", "coffee"):
            pixels = np.asarray(photo_image(name).resize((320, 240)))
            for _ in range(5):
                for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def video_facts(data: bytes) -> tuple[dict, int]:
    with av.open(io.BytesIO(data)) as container:
        return dict(container.metadata), sum(1 for _ in container.decode(video=0))


@pytest.fixture
def gps_photo(album) -> MediaItem:
    return store_item(album, "eiffel.jpg", gps_jpeg())


@pytest.fixture
def make_link(album, owner):
    def make(**options) -> CreatedShareLink:
        return share_link_create(album=options.pop("album", album), created_by=owner, **options)

    return make


@pytest.fixture
def other_album(stranger) -> Album:
    """Someone else's album, with an item: a visitor must never reach it."""
    other = Album.objects.create(owner=stranger, title="Private")
    store_item(other, "secret.jpg", jpeg_bytes("coffee"))
    return other


def share_url(token: str, name: str = "share-album", *args) -> str:
    return reverse(name, args=[token, *args])


def read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def visitor() -> Client:
    return Client()
