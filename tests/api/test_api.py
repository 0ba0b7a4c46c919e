"""The REST API: schema, tokens, reach (others' objects 404), edits, search, and 400 not 500."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from photos.models import Album, ApiToken, Photo, ProcessingStatus, TagSource
from photos.services.item_edits import item_tag_add
from photos.services.uploads import photo_create
from tests.api.test_people_api import a_person
from tests.samples import exif_with_gps, jpeg_bytes

pytestmark = pytest.mark.django_db


def a_photo(album: Album, name: str = "chelsea", **exif) -> Photo:
    data = jpeg_bytes(name, exif=exif_with_gps(**exif) if exif else None)
    return photo_create(
        album=album, uploader=album.owner, file=io.BytesIO(data), filename=f"{name}.jpg",
        size=len(data),
    )  # fmt: skip


# --- schema and docs -------------------------------------------------------------------


def test_the_openapi_schema_validates_and_names_every_endpoint(api_for, owner, tmp_path):
    out = tmp_path / "schema.yaml"
    # drf-spectacular checks the schema against the OpenAPI 3 meta-schema; warnings fail too.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/albums/",
        "/api/albums/{id}/",
        "/api/albums/{id}/items/",
        "/api/items/",
        "/api/items/{id}/",
        "/api/items/{id}/status/",
        "/api/items/{id}/reprocess/",
        "/api/items/{id}/tags/",
        "/api/items/{id}/tags/{name}/",
        "/api/items/{id}/description/",
        "/api/items/{id}/files/{variant}/",
        "/api/search/",
        "/api/people/",
        "/api/people/{id}/",
        "/api/albums/{album_pk}/share-links/",
        "/api/albums/{album_pk}/share-links/{id}/revoke/",
    ):
        assert f"  {path}:" in text

    response = api_for(owner).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"


def test_the_docs_page_uses_our_static_files_and_no_inline_code(client_for, owner):
    client = client_for(owner)
    page = client.get("/api/docs/")
    html = page.content.decode()

    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style" not in html
    assert "<script>" not in html  # every script has a src
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


# --- tokens ----------------------------------------------------------------------------


def test_token_lifecycle_made_shown_once_stored_hashed_used_revoked(client_for, owner, album):
    page = client_for(owner)

    made = page.post("/account/", {"name": "phone"})
    key = made.context["new_key"]
    assert key.startswith("pa_") and key in made.content.decode()
    assert made["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=owner)
    assert key not in (token.key_hash, token.prefix)
    assert token.key_hash != key and len(token.key_hash) == 64
    assert key not in page.get("/account/").content.decode()  # shown once

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/albums/").json()["results"][0]["title"] == album.title
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert "phone" in page.get("/account/").content.decode()

    revoked = page.post(f"/account/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    response = api.get("/api/albums/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked token."


def test_nobody_else_can_revoke_my_token(client_for, owner, stranger):
    client_for(owner).post("/account/", {"name": "phone"})
    token = ApiToken.objects.get(user=owner)

    response = client_for(stranger).post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_without_a_token_the_api_answers_401_not_a_login_page(album):
    for url in ("/api/albums/", "/api/items/", "/api/search/?q=x", "/api/schema/"):
        response = APIClient().get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token pa_not-a-real-key")
    assert bad.get("/api/albums/").status_code == 401


# --- reach: another user's objects answer 404 ---------------------------------------------


def test_every_endpoint_on_another_users_objects_answers_404(api_for, album, stranger):
    photo = a_photo(album)
    item_tag_add(item=photo, name="cat")
    person = a_person(album, "Anna")
    mallory = api_for(stranger)
    a, i, p = album.pk, photo.pk, person.pk
    probes = [
        ("get", f"/api/albums/{a}/", None),
        ("patch", f"/api/albums/{a}/", {"title": "mine now"}),
        ("delete", f"/api/albums/{a}/", None),
        ("get", f"/api/albums/{a}/items/", None),
        ("get", f"/api/items/{i}/", None),
        ("get", f"/api/items/{i}/status/", None),
        ("get", f"/api/items/{i}/files/original/", None),
        ("get", f"/api/items/{i}/files/thumbnail/", None),
        ("post", f"/api/items/{i}/reprocess/", None),
        ("get", f"/api/items/{i}/tags/", None),
        ("post", f"/api/items/{i}/tags/", {"name": "mine"}),
        ("delete", f"/api/items/{i}/tags/cat/", None),
        ("put", f"/api/items/{i}/description/", {"text": "mine"}),
        ("get", f"/api/people/{p}/", None),
        ("patch", f"/api/people/{p}/", {"name": "Mallory", "hidden": True}),
    ]
    for method, url, data in probes:
        response = getattr(mallory, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.status_code)

    # Lists and search hold only their own; an upload into my album is refused.
    assert mallory.get("/api/albums/").json()["results"] == []
    assert mallory.get("/api/items/").json()["results"] == []
    assert mallory.get("/api/search/?q=cat&meaning=false").json()["results"] == []
    assert mallory.get("/api/people/").json()["results"] == []
    upload = mallory.post(
        "/api/items/",
        {"album": a, "file": SimpleUploadedFile("x.jpg", jpeg_bytes("coffee"))},
        format="multipart",
    )
    assert upload.status_code == 400
    assert upload.json() == {"album": ["No such album."]}
    # Nothing changed.
    album.refresh_from_db()
    photo.refresh_from_db()
    assert album.title == "Holidays"
    assert [t.name for t in photo.tags.all()] == ["cat"]
    assert photo.processing_status == ProcessingStatus.PENDING
    person.refresh_from_db()
    assert person.name == "Anna" and not person.hidden
    assert Photo.objects.count() == 2  # the photo and the person's


def test_staff_reach_everything_as_on_the_pages(api_for, album, staff):
    photo = a_photo(album)
    assert api_for(staff).get(f"/api/items/{photo.pk}/").status_code == 200


# --- reads and edits -------------------------------------------------------------------


def test_albums_create_read_rename_delete(api_for, owner):
    api = api_for(owner)
    made = api.post("/api/albums/", {"title": "  Lisbon ", "description": "May"}, format="json")
    assert made.status_code == 201
    album_id = made.json()["id"]
    assert made.json()["title"] == "Lisbon"

    renamed = api.patch(f"/api/albums/{album_id}/", {"title": "Porto"}, format="json")
    assert renamed.json()["title"] == "Porto"
    assert renamed.json()["description"] == "May"
    assert api.get(f"/api/albums/{album_id}/").json()["title"] == "Porto"

    assert api.delete(f"/api/albums/{album_id}/").status_code == 204
    assert api.get(f"/api/albums/{album_id}/").status_code == 404


def test_an_item_reads_with_its_facts_and_tags_and_takes_edits(api_for, album):
    photo = a_photo(album, latitude=38.7223, longitude=-9.1393)
    api = api_for(album.owner)

    body = api.get(f"/api/items/{photo.pk}/").json()
    assert body["kind"] == "photo"
    assert body["album"] == album.pk
    assert body["status"] == "pending"
    assert body["camera_make"] == "Canon"
    assert round(body["latitude"], 3) == 38.722
    assert body["thumbnail_url"] == f"/api/items/{photo.pk}/files/thumbnail/"
    thumbnail = api.get(body["thumbnail_url"])
    assert (thumbnail.status_code, thumbnail["Content-Type"]) == (200, "image/webp")
    assert api.get(f"/api/items/{photo.pk}/files/poster/").status_code == 404

    added = api.post(f"/api/items/{photo.pk}/tags/", {"name": "  Tabby  Cat "}, format="json")
    assert added.status_code == 201
    assert added.json() == [{"name": "tabby cat", "source": TagSource.PERSON, "score": None}]
    described = api.put(
        f"/api/items/{photo.pk}/description/", {"text": "Asleep on the sofa"}, format="json"
    )
    assert described.json()["description_source"] == "person"
    assert api.get(f"/api/items/{photo.pk}/").json()["description"] == "Asleep on the sofa"
    assert api.delete(f"/api/items/{photo.pk}/tags/tabby cat/").status_code == 204
    assert api.delete(f"/api/items/{photo.pk}/tags/tabby cat/").status_code == 404
    assert api.get(f"/api/items/{photo.pk}/tags/").json() == []
    photo.refresh_from_db()
    assert photo.removed_tags == ["tabby cat"]  # reprocessing won't bring it back


def test_reprocess_is_refused_while_an_item_is_on_its_way(api_for, album):
    photo = a_photo(album)
    api = api_for(album.owner)

    assert api.post(f"/api/items/{photo.pk}/reprocess/").status_code == 409
    Photo.objects.filter(pk=photo.pk).update(processing_status=ProcessingStatus.FAILED)
    queued = api.post(f"/api/items/{photo.pk}/reprocess/")
    assert queued.status_code == 202
    assert queued.json()["status"] == "pending"
    assert api.get(f"/api/items/{photo.pk}/status/").json()["status"] == "pending"


def test_lists_are_paged_with_constant_queries(api_for, album, django_assert_max_num_queries):
    for name in ("chelsea", "coffee", "astronaut"):
        item_tag_add(item=a_photo(album, name), name=f"{name} tag")
    api = api_for(album.owner)

    with django_assert_max_num_queries(8):
        body = api.get("/api/items/?page_size=2").json()
    assert len(body["results"]) == 3  # page_size is not a client's choice: 50 a page
    assert body["next"] is None
    assert all(len(item["tags"]) == 1 for item in body["results"])


def test_item_lists_page_by_cursor_without_gaps(api_for, album, monkeypatch):
    from photos.api.views import NewestFirstCursor

    monkeypatch.setattr(NewestFirstCursor, "page_size", 2)
    ids = [
        a_photo(album, name).pk for name in ("chelsea", "coffee", "astronaut", "rocket", "camera")
    ]
    api = api_for(album.owner)
    for first_url in ("/api/items/", f"/api/albums/{album.pk}/items/"):
        seen, url = [], first_url
        while url:
            body = api.get(url).json()
            seen += [item["id"] for item in body["results"]]
            url = body["next"]
        assert seen == ids[::-1], first_url  # newest first, each once
    assert api.get("/api/items/?cursor=forged").status_code == 404


def test_search_finds_by_words_and_filters(api_for, album):
    cat = a_photo(album, "chelsea")
    item_tag_add(item=cat, name="cat")
    a_photo(album, "coffee")
    api = api_for(album.owner)

    found = api.get("/api/search/", {"q": "cat", "meaning": "false"}).json()

    assert [item["id"] for item in found["results"]] == [cat.pk]
    assert api.get("/api/search/", {"q": "", "kind": "video"}).json()["count"] == 0


# --- bad input: 400 with field errors, never 500 ------------------------------------------


def test_bad_input_gets_400_with_field_errors(api_for, album):
    photo = a_photo(album)
    api = api_for(album.owner)
    cases = [
        ("post", "/api/albums/", {"title": "   "}, "json", "title"),
        ("post", "/api/albums/", {"title": "x" * 201}, "json", "title"),
        ("post", "/api/albums/", {}, "json", "title"),
        ("patch", f"/api/albums/{album.pk}/", {"title": ["not", "text"]}, "json", "title"),
        ("post", "/api/items/", {"album": album.pk}, "multipart", "file"),
        ("post", "/api/items/", {"album": "x"}, "multipart", "album"),
        (
            "post",
            "/api/items/",
            {"album": album.pk, "file": SimpleUploadedFile("a.jpg", b"not a photo at all")},
            "multipart",
            "file",
        ),
        ("post", f"/api/items/{photo.pk}/tags/", {"name": ""}, "json", "name"),
        ("post", f"/api/items/{photo.pk}/tags/", {"name": "   "}, "json", "name"),
        ("post", f"/api/items/{photo.pk}/tags/", {"name": "x" * 101}, "json", "name"),
        ("put", f"/api/items/{photo.pk}/description/", {}, "json", "text"),
        ("put", f"/api/items/{photo.pk}/description/", {"text": {"a": 1}}, "json", "text"),
    ]
    for method, url, data, fmt, field in cases:
        response = getattr(api, method)(url, data, format=fmt)
        assert response.status_code == 400, (method, url, data, response.status_code)
        assert field in response.json(), (url, data, response.json())

    for params, field in (
        ({"taken_from": "yesterday"}, "taken_from"),
        ({"kind": "painting"}, "kind"),
        ({"album": "-3"}, "album"),
        ({"status": "done"}, "status"),
        ({"taken_from": "2024-05-02", "taken_to": "2024-05-01"}, "taken_to"),
        ({"q": "x" * 201}, "q"),
    ):
        response = api.get("/api/search/", params)
        assert response.status_code == 400, params
        assert field in response.json(), params

    broken = api.generic("POST", "/api/albums/", "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert api.get("/api/items/abc/").status_code == 404
    assert api.get("/api/items/99999999/").status_code == 404


def test_requests_over_the_rate_are_throttled(api_for, owner, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": None})
    api = api_for(owner)
    codes = [api.get("/api/albums/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# --- share links (the share branch's services) ---------------------------------------------


def test_share_links_made_listed_and_revoked_through_the_api(api_for, album):
    a_photo(album)
    api = api_for(album.owner)

    made = api.post(
        f"/api/albums/{album.pk}/share-links/",
        {"label": "family", "password": "", "allow_originals": True},
        format="json",
    )

    assert made.status_code == 201
    url = made.json()["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    visitor = APIClient()  # no account
    assert visitor.get(f"/s/{token}/").status_code == 200
    listed = api.get(f"/api/albums/{album.pk}/share-links/").json()["results"]
    assert [(link["label"], link["active"]) for link in listed] == [("family", True)]
    assert token not in str(listed)  # the token is shown once, at creation

    link_id = made.json()["id"]
    revoked = api.post(f"/api/albums/{album.pk}/share-links/{link_id}/revoke/")
    assert revoked.json()["active"] is False
    assert visitor.get(f"/s/{token}/").status_code == 404


def test_share_links_are_the_album_owners_alone(api_for, album, stranger, staff):
    link = api_for(album.owner).post(f"/api/albums/{album.pk}/share-links/", {}, format="json")
    link_id = link.json()["id"]
    for user in (stranger, staff):
        api = api_for(user)
        base = f"/api/albums/{album.pk}/share-links/"
        assert api.get(base).status_code == 404
        assert api.post(base, {}, format="json").status_code == 404
        assert api.get(f"{base}{link_id}/").status_code == 404
        assert api.post(f"{base}{link_id}/revoke/").status_code == 404
    assert (
        api_for(album.owner).get(f"/api/albums/{album.pk}/share-links/{link_id}/").json()["active"]
    )


def test_share_link_bad_input_gets_400(api_for, album):
    api = api_for(album.owner)
    base = f"/api/albums/{album.pk}/share-links/"
    for data, field in (
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "next week"}, "expires_at"),
        ({"label": "x" * 101}, "label"),
        ({"allow_location": "perhaps"}, "allow_location"),
    ):
        response = api.post(base, data, format="json")
        assert response.status_code == 400, data
        assert field in response.json()


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(api_for, album, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    data = jpeg_bytes("coffee")
    response = api_for(album.owner).post(
        "/api/items/",
        {"album": album.pk, "file": SimpleUploadedFile("big.jpg", data)},
        format="multipart",
    )
    assert response.status_code == 413
    assert "limit" in response.json()["file"][0]
    assert Photo.objects.count() == 0
