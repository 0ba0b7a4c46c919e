"""End to end: photos of real people uploaded, faces embedded by a real `celery worker`."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from photos.models import Album, Face, Photo, ProcessingStatus
from photos.selectors.search import items_search
from photos.services.ai_settings import ai_settings_get
from photos.services.people import person_rename
from photos.services.processing import item_enqueue
from photos.services.uploads import photo_create

pytestmark = pytest.mark.django_db(transaction=True)  # the worker must see committed rows


@pytest.fixture(autouse=True)
def media_root(shared_media):
    return shared_media  # the worker reads what the test writes


def upload(album: Album, data: bytes, n: int) -> Photo:
    return photo_create(
        album=album,
        uploader=album.owner,
        file=io.BytesIO(data),
        filename=f"IMG_{n:04d}.jpg",
        size=len(data),
    )


def test_the_worker_embeds_faces_that_group_name_and_survive_a_reprocess(
    module_worker, album, stranger, identity_jpegs, client_for
):
    from tests.pipeline.conftest import ai_settings_set, all_in, wait_until

    ai_settings_set(auto_process_on_upload=True)
    theirs = Album.objects.create(owner=stranger, title="Theirs")
    astronaut = [upload(album, data, n) for n, data in enumerate(identity_jpegs["astronaut"][:3])]
    hopper = [
        upload(album, data, 10 + n) for n, data in enumerate(identity_jpegs["grace-hopper"][:2])
    ]
    their_astronaut = [
        upload(theirs, data, 20 + n) for n, data in enumerate(identity_jpegs["astronaut"][:2])
    ]
    ids = [p.pk for p in astronaut + hopper + their_astronaut]
    wait_until(all_in(Photo, ids, ProcessingStatus.COMPLETED), timeout=300, what="processing")
    wait_until(
        lambda: Face.objects.filter(item_id__in=ids).values("item").distinct().count() == len(ids),
        timeout=30,
        what="faces saved",
    )

    for face in Face.objects.filter(item_id__in=ids):
        assert len(face.embedding) == 128 * 4  # float32
        assert default_storage.exists(face.crop.name)
        assert face.owner == face.item.album.owner

    # Staff re-run grouping from /ops/: the worker groups every owner's faces.
    staff = album.owner.__class__.objects.create_user("ops", password="x", is_staff=True)
    answer = client_for(staff).post(reverse("ops-group-people"))
    assert answer.status_code == 302
    wait_until(
        lambda: not Face.objects.filter(item_id__in=ids, person=None).exists(),
        timeout=60,
        what="the worker grouping faces into people",
    )
    anna = Face.objects.get(item=astronaut[0]).person
    assert {Face.objects.get(item=p).person for p in astronaut} == {anna}
    assert {Face.objects.get(item=p).person for p in hopper} != {anna}
    assert {Face.objects.get(item=p).person.owner for p in their_astronaut} == {stranger}

    person_rename(person=anna, name="Anna")
    found = {item.pk for item in items_search(user=album.owner, query="anna")}
    assert found == {p.pk for p in astronaut}
    assert list(items_search(user=stranger, query="anna")) == []

    # Reprocess one photo in the worker: Anna keeps her face, and her name finds it.
    Photo.objects.filter(pk=astronaut[0].pk).update(processing_status=ProcessingStatus.PENDING)
    item_enqueue(kind="photo", item_id=astronaut[0].pk, ai_settings=ai_settings_get())
    wait_until(
        all_in(Photo, [astronaut[0].pk], ProcessingStatus.COMPLETED), timeout=120, what="reprocess"
    )
    wait_until(
        lambda: Face.objects.filter(item=astronaut[0], person=anna).exists(),
        timeout=30,
        what="the reprocessed face back with Anna",
    )
    assert astronaut[0].pk in {item.pk for item in items_search(user=album.owner, query="anna")}
    page = client_for(album.owner).get(reverse("person-detail", args=[anna.pk]))
    assert page.context["page"].paginator.count == 3
