"""Bad input gets a clear 400 (or a form error), never a 500: what the outside probe sent."""

from __future__ import annotations

import html
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from photos.models import Album, Photo, Tag
from photos.services.item_edits import item_tag_add
from tests.samples import jpeg_bytes, photo_image
from tests.web.conftest import upload_url

NUL = "cat\x00dog"
CONTROL = "cat\x01\x1bdog"


@pytest.fixture
def tagged(photo):
    item_tag_add(item=photo, name="cat")
    return photo


def tag_add(client, item, name):
    return client.post(reverse("item-tag-add", args=[item.kind, item.pk]), {"name": name})


def tag_remove(client, item, name):
    return client.post(reverse("item-tag-remove", args=[item.kind, item.pk]), {"name": name})


def describe(client, item, text):
    return client.post(
        reverse("item-description", args=[item.kind, item.pk]), {"description": text}
    )


@pytest.mark.parametrize("bad", [NUL, CONTROL], ids=["nul", "control"])
@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda c, item, bad: tag_add(c, item, bad), id="tag-add"),
        pytest.param(lambda c, item, bad: tag_remove(c, item, bad), id="tag-remove"),
        pytest.param(lambda c, item, bad: describe(c, item, bad), id="description"),
        pytest.param(lambda c, item, bad: c.get(f"/tags/{bad}/"), id="tag-page"),
        pytest.param(lambda c, item, bad: c.get("/search/", {"q": bad}), id="search-q"),
        pytest.param(
            lambda c, item, bad: c.get("/search/", {"kind": bad, "taken_from": bad}),
            id="search-filters",
        ),
        pytest.param(
            lambda c, item, bad: c.post(reverse("album-create"), {"title": bad}),
            id="album-title",
        ),
        pytest.param(
            lambda c, item, bad: c.post(
                reverse("album-update", args=[item.album_id]),
                {"title": "Trip", "description": bad},
            ),
            id="album-description",
        ),
    ],
)
def test_control_characters_get_a_clear_400(owner_client, tagged, send, bad):
    response = send(owner_client, tagged, bad)

    assert response.status_code == 400
    assert "control characters" in html.unescape(response.content.decode())
    tagged.refresh_from_db()
    assert tagged.ai_description == ""
    assert tagged.removed_tags == []
    assert not Album.objects.filter(title__contains="dog").exists()


def test_a_json_client_gets_the_reason_as_json(owner_client, db):
    response = owner_client.get("/search/", {"q": NUL}, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert "control characters" in response.json()["error"]


def test_newlines_and_tabs_in_a_description_are_fine(owner_client, photo):
    response = describe(owner_client, photo, "Line one\r\nline\ttwo")

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.ai_description == "Line one\r\nline\ttwo"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("field", ["taken_to", "taken_from"])
def test_a_date_out_of_range_is_a_form_error_not_a_500(owner_client, photo, field, day):
    response = owner_client.get("/search/", {field: day})

    assert response.status_code == 400
    assert "Choose a date between 1000-01-01 and 9998-12-31" in response.content.decode()


def test_the_widest_dates_in_range_still_search(owner_client, photo):
    response = owner_client.get("/search/", {"taken_from": "1000-01-01", "taken_to": "9998-12-31"})

    assert response.status_code == 200


def test_tags_remove_takes_only_names_the_item_has(owner_client, tagged):
    response = tag_remove(owner_client, tagged, "x" * 5000)

    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    assert "This item has no tag" in html.unescape(page)
    tagged.refresh_from_db()
    assert tagged.removed_tags == []
    assert list(tagged.tags.values_list("name", flat=True)) == ["cat"]

    tag_remove(owner_client, tagged, "cat")
    tagged.refresh_from_db()
    assert tagged.removed_tags == ["cat"]


def test_an_over_long_tag_or_title_is_a_form_error(owner_client, photo):
    assert tag_add(owner_client, photo, "x" * 101).status_code == 302
    assert not Tag.objects.filter(name__startswith="xxx").exists()

    response = owner_client.post(reverse("album-create"), {"title": "t" * 201})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()


# --- uploads: every refusal is JSON with its reason -------------------------------------


def post_upload(client, album, files):
    return client.post(upload_url(album), {"files": files}, headers={"Accept": "application/json"})


def test_too_many_files_in_one_request_are_refused_as_json(owner_client, album, settings):
    files = [SimpleUploadedFile(f"{n}.jpg", b"x") for n in range(101)]

    response = post_upload(owner_client, album, files)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["error"] == "Too many files in one upload: send at most 100 at a time."
    assert not Photo.objects.exists()


def test_over_large_form_fields_are_refused_as_json(owner_client, album, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = owner_client.post(
        upload_url(album),
        {"files": [SimpleUploadedFile("a.jpg", jpeg_bytes())], "note": "n" * 5000},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert "too large" in response.json()["errors"][0]["error"]


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A body as a browser sends it (the test client's own encoder differs in its headers)."""
    boundary = "----probe7MA4YWxkTrZu0gW"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_thousand_character_file_name_is_refused_as_json(owner_client, album):
    body, content_type = multipart("a" * 996 + ".jpg", jpeg_bytes())

    response = owner_client.post(
        upload_url(album), body, content_type=content_type, headers={"Accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"filename": "", "error": "A file name in this upload is too long."}
    ]


def test_a_long_file_name_is_stored_shortened_with_its_extension(owner_client, album):
    name = "a" * 596 + ".jpg"

    response = post_upload(owner_client, album, [SimpleUploadedFile(name, jpeg_bytes())])

    assert response.status_code == 201, response.content
    stored = Photo.objects.get().original_filename
    assert len(stored) == 255 and stored.endswith(".jpg")


def test_control_characters_in_a_file_name_are_dropped(owner_client, album):
    response = post_upload(
        owner_client, album, [SimpleUploadedFile("ca\x00t\x01.jpg", jpeg_bytes())]
    )

    assert response.status_code == 201, response.content
    assert Photo.objects.get().original_filename == "cat.jpg"


def hundred_megapixel_jpeg() -> bytes:
    """10000x10000 pixels of real photographs, each tile with its own noise (so it is
    not one tile repeated), encoded tile row by tile row into one JPEG (~300 MB RGB)."""
    rng = random.Random(7)
    tiles = []
    for name in ("chelsea", "coffee", "astronaut", "rocket"):
        tile = photo_image(name).convert("RGB").resize((500, 500))
        noise = Image.effect_noise((500, 500), 24).convert("RGB")
        tiles.append(Image.blend(tile, noise, 0.15))
    canvas = Image.new("RGB", (10_000, 10_000))
    for top in range(0, 10_000, 500):
        for left in range(0, 10_000, 500):
            canvas.paste(rng.choice(tiles), (left, top))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def test_a_100_megapixel_photo_is_accepted_under_a_120_megapixel_limit(
    owner_client, album, settings
):
    settings.UPLOAD_MAX_PIXELS = 120_000_000
    data = hundred_megapixel_jpeg()

    response = post_upload(owner_client, album, [SimpleUploadedFile("big.jpg", data)])

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (10_000, 10_000)
    assert photo.thumbnail
