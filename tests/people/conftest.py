"""Real faces for the people tests: augmented real photos of a few real people.

"Same person" is one real photo augmented (ai_engine/face_eval.py, VARIANTS); see
ai_engine/evalset/PEOPLE.md for which photos are which people.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from ai_engine.face_eval import IDENTITIES, identity_photos
from ai_engine.types import FaceFound
from photos.models import Album, MediaItem, Photo
from photos.services.people import faces_save

VARIANTS = ["original", "crop", "rotate+10", "darker"]
# Three of the set's people (every variant of theirs has a face the detector finds).
PEOPLE = {name: IDENTITIES[name] for name in ("astronaut", "grace-hopper", "pyfeat-single")}


def jpeg(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.fixture(scope="session")
def identity_jpegs() -> dict[str, list[bytes]]:
    """JPEG bytes of each identity's augmented photos."""
    photos: dict[str, list[bytes]] = {}
    for name, _variant, image in identity_photos(PEOPLE, variants=VARIANTS):
        photos.setdefault(name, []).append(jpeg(image))
    return photos


@pytest.fixture(scope="session")
def identity_faces(identity_jpegs) -> dict[str, list[list[FaceFound]]]:
    """The engine's faces (real detector, alignment and embedding) of each photo above."""
    from ai_engine import analyze

    return {
        name: [analyze(io.BytesIO(data)).faces_found for data in photos]
        for name, photos in identity_jpegs.items()
    }


@pytest.fixture
def face_item(db) -> Callable[..., MediaItem]:
    """A photo row holding the engine's faces, saved as the worker saves them."""
    counter = iter(range(1, 10_000))

    def make(album: Album, faces: list[FaceFound]) -> MediaItem:
        n = next(counter)
        item = Photo.objects.create(
            album=album,
            uploader=album.owner,
            original=f"originals/test/missing-{n}.jpg",
            original_filename=f"IMG_{n:04d}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            processing_status="completed",
            ai_description="A person at the beach" if n % 2 else "A person indoors",
        )
        faces_save(item_id=item.pk, faces=faces)
        return item

    return make
