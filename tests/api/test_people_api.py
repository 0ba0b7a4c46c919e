"""People over the API: the owner's alone (issue 14), renamed and hidden through the services."""

from __future__ import annotations

import pytest
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIClient

from photos.models import Album, Face, Person, Photo

pytestmark = pytest.mark.django_db


def a_person(album: Album, name: str = "", faces: int = 1) -> Person:
    """A person with `faces` faces, one photo each, made as the grouping leaves them."""
    person = Person.objects.create(owner=album.owner, name=name)
    for _ in range(faces):
        n = Photo.objects.count() + 1
        item = Photo.objects.create(
            album=album,
            uploader=album.owner,
            original=f"originals/test/missing-{n}.jpg",
            original_filename=f"IMG_{n:04d}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            checksum_sha256=f"{n:064d}",
            processing_status="completed",
        )
        Face.objects.create(
            item=item,
            owner=album.owner,
            box=[0.1, 0.1, 0.2, 0.2],
            score=0.9,
            embedding=bytes(4 * 128),
            person=person,
        )
    return person


def test_the_owner_lists_reads_renames_and_hides_their_people(api_for, album):
    anna = a_person(album, "Anna", faces=3)
    unnamed = a_person(album, faces=1)
    api = api_for(album.owner)

    listed = api.get("/api/people/").json()
    assert listed["count"] == 2
    assert listed["results"] == [
        {"id": anna.pk, "name": "Anna", "face_count": 3, "hidden": False},
        {"id": unnamed.pk, "name": "", "face_count": 1, "hidden": False},
    ]
    assert api.get(f"/api/people/{anna.pk}/").json()["face_count"] == 3

    renamed = api.patch(f"/api/people/{unnamed.pk}/", {"name": "  Ben   Smith "}, format="json")
    assert renamed.status_code == 200
    ben = {"id": unnamed.pk, "name": "Ben Smith", "face_count": 1, "hidden": False}
    assert renamed.json() == ben
    unnamed.refresh_from_db()
    assert unnamed.name == "Ben Smith"
    # The rename went through the service: the name is now a searchable word of the photos.
    found = api.get("/api/search/?q=Smith&meaning=false").json()["results"]
    assert [r["id"] for r in found] == list(unnamed.faces.values_list("item_id", flat=True))

    hidden = api.patch(f"/api/people/{anna.pk}/", {"hidden": True}, format="json")
    assert hidden.json()["hidden"] is True
    assert [p["id"] for p in api.get("/api/people/").json()["results"]] == [unnamed.pk]
    assert [p["id"] for p in api.get("/api/people/?hidden=true").json()["results"]] == [anna.pk]
    # A hidden person is still theirs to read and show again.
    shown = api.patch(f"/api/people/{anna.pk}/", {"hidden": False}, format="json")
    assert shown.status_code == 200 and shown.json()["hidden"] is False
    assert api.put(f"/api/people/{anna.pk}/", {"name": "x"}, format="json").status_code == 405
    assert api.delete(f"/api/people/{anna.pk}/").status_code == 405


def test_another_users_and_staffs_tokens_get_404_and_see_no_names(api_for, album, stranger, staff):
    anna = a_person(album, "Anna", faces=2)
    for user in (stranger, staff):
        api = api_for(user)
        assert api.get("/api/people/").json()["results"] == []
        assert api.get("/api/people/?hidden=true").json()["results"] == []
        assert api.get(f"/api/people/{anna.pk}/").status_code == 404
        for data in ({"name": "Mallory"}, {"hidden": True}):
            response = api.patch(f"/api/people/{anna.pk}/", data, format="json")
            assert response.status_code == 404, (user, data)
            assert "Anna" not in response.content.decode()
    anna.refresh_from_db()
    assert anna.name == "Anna" and not anna.hidden


def test_without_a_token_people_answer_401(album):
    anna = a_person(album, "Anna")
    for method, url in (
        ("get", "/api/people/"),
        ("get", f"/api/people/{anna.pk}/"),
        ("patch", f"/api/people/{anna.pk}/"),
    ):
        response = getattr(APIClient(), method)(url, {"name": "x"} if method == "patch" else None)
        assert response.status_code == 401, url
        assert "Anna" not in response.content.decode()


def test_a_bad_name_or_flag_gets_400_with_field_errors(api_for, album):
    anna = a_person(album, "Anna")
    api = api_for(album.owner)
    url = f"/api/people/{anna.pk}/"
    for data, field in (
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ann\x00a"}, "name"),
        ({"name": "Ann\x07a"}, "name"),
        ({"name": "Ann\x9ba"}, "name"),
        ({"name": ["not", "text"]}, "name"),
        ({"hidden": "perhaps"}, "hidden"),
    ):
        response = api.patch(url, data, format="json")
        assert response.status_code == 400, data
        assert field in response.json(), (data, response.json())
    assert api.get("/api/people/?hidden=perhaps").status_code == 400
    assert api.get("/api/people/abc/").status_code == 404
    anna.refresh_from_db()
    assert anna.name == "Anna" and not anna.hidden


def test_people_lists_are_paged(api_for, album, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    people = [a_person(album, f"P{n}", faces=n) for n in range(1, 6)]
    api = api_for(album.owner)

    seen, url = [], "/api/people/"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 2
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
    assert seen == [p.pk for p in reversed(people)]  # the biggest first, each once
