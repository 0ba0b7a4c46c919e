"""Faces and people: saving the worker's faces, grouping them per owner, and the owner's edits.

Embeddings are read here only, by the worker and the grouping task: web
processes never load them. Every query filters by owner, so no face ever joins
another owner's person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from photos.models import Face, FaceAssignment, MediaItem, Person
from photos.services import queue
from photos.services.search_index import item_search_index_update

if TYPE_CHECKING:
    import numpy as np

    from ai_engine.types import FaceFound

KEEP_IOU = 0.5  # a face of a reprocessed item is the same face as an old one this close
PERSON_SAMPLE = 50  # faces per person a new face is compared with


class PeopleEditRejected(ValueError):
    """An owner's edit that cannot be done (a message for the page)."""


def as_bytes(vector: list[float]) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def as_matrix(blobs: Sequence[bytes | memoryview]) -> np.ndarray:
    import numpy as np

    if not blobs:
        return np.zeros((0, 128), dtype=np.float32)
    return np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=np.float32).reshape(-1, 128)


def iou(a: list[float], b: list[float]) -> float:
    from ai_engine.offline.face_check import iou as box_iou

    return box_iou(tuple(a), tuple(b))  # type: ignore[arg-type]


def faces_save(*, item_id: int, faces: list[FaceFound]) -> list[Face]:
    """Replace the item's faces with the worker's; keep what the owner decided.

    A new face that overlaps an old one (box IoU) keeps the old one's person
    when a person set it, and its "not a person" mark; every other new face
    joins the owner's nearest person within the join distance.
    """
    # Imported here: uploads imports processing, which imports this module.
    from photos.services.uploads import storage_name

    old = list(Face.objects.filter(item_id=item_id))
    if not faces and not old:
        return []  # most photos: no face before or now, so no names to reindex either
    # Only what is used below: the row also holds the embeddings, analysis and search vector.
    item = (
        MediaItem.objects.select_related("album")
        .only("kind", "original_filename", "album__owner")
        .get(pk=item_id)
    )
    owner_id = item.album.owner_id
    kept_choices = [f for f in old if f.assigned_by == FaceAssignment.PERSON or f.is_not_person]
    new_faces = []
    for found in faces:
        face = Face(
            item_id=item_id,
            owner_id=owner_id,
            box=list(found.box),
            score=found.score,
            embedding=as_bytes(found.embedding),
        )
        match = max(kept_choices, key=lambda f: iou(f.box, face.box), default=None)
        if match is not None and iou(match.box, face.box) >= KEEP_IOU:
            face.person_id = match.person_id
            face.assigned_by = match.assigned_by
            face.is_not_person = match.is_not_person
            kept_choices.remove(match)
        if found.crop:
            face.crop.name = default_storage.save(
                storage_name("faces", item.kind, "jpg"), ContentFile(found.crop)
            )
        new_faces.append(face)
    with transaction.atomic():
        Person.objects.filter(cover_face__in=old).update(cover_face=None)
        Face.objects.filter(pk__in=[f.pk for f in old]).delete()
        Face.objects.bulk_create(new_faces)
        faces_join_nearest(owner_id=owner_id, faces=[f for f in new_faces if needs_person(f)])
        covers_fill(owner_id=owner_id)
    for face in old:
        if face.crop.name:
            default_storage.delete(face.crop.name)
    if names_changed(old, new_faces):
        item_search_index_update(item)
    return new_faces


def names_changed(old: list[Face], new: list[Face]) -> bool:
    """Whether the people names on an item (search words) differ between its old and new
    faces. The item's vector holds the old faces' names; most items keep the same people,
    or only unnamed ones, and then it is still right and need not be rewritten."""
    before = {face.person_id for face in old if face.person_id is not None}
    after = {face.person_id for face in new if face.person_id is not None}
    if before == after:
        return False  # the same people: the same names (a rename reindexes by itself)
    named = dict(
        Person.objects.filter(pk__in=before | after).exclude(name="").values_list("pk", "name")
    )
    return {named.get(pk) for pk in before} - {None} != {named.get(pk) for pk in after} - {None}


def covers_fill(*, owner_id: int) -> None:
    """A person whose cover face went (reprocessed, moved) shows their best face instead."""
    for person in Person.objects.filter(owner_id=owner_id, cover_face__isnull=True):
        best = person.faces.filter(is_not_person=False).order_by("-score", "pk").first()
        if best is not None:
            Person.objects.filter(pk=person.pk).update(cover_face=best)


def needs_person(face: Face) -> bool:
    return face.person_id is None and not face.is_not_person


def faces_join_nearest(*, owner_id: int, faces: list[Face]) -> int:
    """Give each face the owner's person whose nearest face is within the join distance."""
    from ai_engine.face_groups import JOIN_DISTANCE, nearest

    if not faces:
        return 0
    # Each person's best faces only: a person with 5,000 photos costs as much as one
    # with PERSON_SAMPLE, and a worker saving one photo reads a bounded set.
    ranked = Window(RowNumber(), partition_by=F("person_id"), order_by=F("score").desc())
    known = list(
        # Hidden people too: their new photos join them, hidden, not a new person.
        Face.objects.filter(owner_id=owner_id, person__isnull=False)
        .exclude(pk__in=[f.pk for f in faces])
        .annotate(rank=ranked)
        .filter(rank__lte=PERSON_SAMPLE)
        .values_list("person_id", "embedding")
    )
    matrix = as_matrix([e for _, e in known])
    joined = 0
    for face in faces:
        index, distance = nearest(as_matrix([face.embedding])[0], matrix)
        if index >= 0 and distance <= JOIN_DISTANCE:
            Face.objects.filter(pk=face.pk).update(person_id=known[index][0])
            face.person_id = known[index][0]
            joined += 1
    return joined


@dataclass(frozen=True)
class GroupResult:
    joined: int
    new_people: int
    grouped: int
    left_alone: int


def people_group(*, owner_id: int) -> GroupResult:
    """Cluster the owner's faces nobody has placed: join known people, else DBSCAN.

    Runs in a worker (periodic task, command or /ops/ action): it reads the
    owner's unplaced embeddings once, a 100,000-face library is ~51 MB.
    """
    from ai_engine.face_groups import cluster

    loose = list(
        Face.objects.filter(owner_id=owner_id, person__isnull=True, is_not_person=False).only(
            "pk", "embedding", "item_id"
        )
    )
    joined = faces_join_nearest(owner_id=owner_id, faces=loose)
    loose = [f for f in loose if f.person_id is None]
    labels = cluster(as_matrix([f.embedding for f in loose]))
    groups: dict[int, list[Face]] = {}
    for face, label in zip(loose, labels, strict=True):
        if label >= 0:
            groups.setdefault(int(label), []).append(face)
    with transaction.atomic():
        for members in groups.values():
            person = Person.objects.create(owner_id=owner_id, cover_face=members[0])
            Face.objects.filter(pk__in=[f.pk for f in members], person__isnull=True).update(
                person=person
            )
    grouped = sum(len(m) for m in groups.values())
    return GroupResult(joined, len(groups), grouped, len(loose) - grouped)


def people_group_enqueue() -> None:
    """Queue a grouping run for every owner, after commit; a worker does the work."""
    queue.sends_on_commit("a people regrouping", [(queue.PEOPLE_GROUP_TASK, [], {})])


def people_group_all() -> dict[int, GroupResult]:
    """Group every owner's unplaced faces, one owner at a time."""
    owners = (
        Face.objects.filter(person__isnull=True, is_not_person=False)
        .order_by()  # Face's default ordering would make DISTINCT one row per face
        .values_list("owner_id", flat=True)
        .distinct()
    )
    return {owner_id: people_group(owner_id=owner_id) for owner_id in owners}


# --- the owner's edits ----------------------------------------------------------------


def items_reindex(item_ids: set[int]) -> None:
    """Person names are searchable words of the owner's items: rewrite their vectors."""
    for item in MediaItem.objects.filter(pk__in=item_ids).defer("embedding", "image_embedding"):
        item_search_index_update(item)


def person_items(person: Person) -> set[int]:
    return set(person.faces.values_list("item_id", flat=True))


def person_rename(*, person: Person, name: str) -> Person:
    person.name = " ".join(name.split())[:100]
    person.save(update_fields=["name"])
    items_reindex(person_items(person))
    return person


def person_hide(*, person: Person, hidden: bool) -> Person:
    person.hidden = hidden
    person.save(update_fields=["hidden"])
    return person


def people_merge(*, person: Person, into: Person) -> Person:
    """Move every face of `person` to `into` and delete `person`; the owner's call."""
    if person.owner_id != into.owner_id or person.pk == into.pk:
        raise PeopleEditRejected("Pick another of your people to merge with.")
    with transaction.atomic():
        person.faces.update(person=into, assigned_by=FaceAssignment.PERSON)
        if into.cover_face_id is None:
            into.cover_face_id = person.cover_face_id
        if not into.name:
            into.name = person.name
        into.save(update_fields=["cover_face", "name"])
        person.delete()
    items_reindex(person_items(into))
    return into


def face_move(*, face: Face, to: Person | None) -> Face:
    """Put a wrongly grouped face with another of the owner's people (None: nobody)."""
    if to is not None and to.owner_id != face.owner_id:
        raise PeopleEditRejected("Pick one of your people.")
    before = face.person_id
    face.person = to
    face.assigned_by = FaceAssignment.PERSON
    face.is_not_person = False
    face.save(update_fields=["person", "assigned_by", "is_not_person"])
    if before is not None:
        Person.objects.filter(pk=before, cover_face=face).update(cover_face=None)
    covers_fill(owner_id=face.owner_id)
    items_reindex({face.item_id})
    return face


def face_mark_not_person(*, face: Face) -> Face:
    """Not a face (a poster, a statue): out of every person, and never grouped again."""
    before = face.person_id
    face.person = None
    face.is_not_person = True
    face.assigned_by = FaceAssignment.PERSON
    face.save(update_fields=["person", "is_not_person", "assigned_by"])
    if before is not None:
        Person.objects.filter(pk=before, cover_face=face).update(cover_face=None)
    covers_fill(owner_id=face.owner_id)
    items_reindex({face.item_id})
    return face
