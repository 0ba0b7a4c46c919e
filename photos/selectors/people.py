"""Reads for the people pages. Owner only: staff see no one else's people or faces,
because a name is the owner's own word about someone (issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from photos.models import Face, MediaItem, Person
from photos.selectors import grid_items, page_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.paginator import Page


def people_for_owner(*, user: User, hidden: bool | None = False) -> QuerySet[Person]:
    """The owner's people with their face counts, the biggest first (hidden=None: all)."""
    people = (
        Person.objects.filter(owner_id=user.pk)
        .annotate(face_count=Count("faces", filter=Q(faces__is_not_person=False)))
        .filter(face_count__gt=0)
        .select_related("cover_face")
        .order_by("-face_count", "name", "pk")
    )
    return people if hidden is None else people.filter(hidden=hidden)


def person_get_for_user(*, user: User, person_id: int) -> Person | None:
    return Person.objects.filter(owner_id=user.pk, pk=person_id).first()


def face_get_for_user(*, user: User, face_id: int) -> Face | None:
    return Face.objects.filter(owner_id=user.pk, pk=face_id).first()


def person_items_page(*, person: Person, page_number: str | int | None) -> Page:
    items = MediaItem.objects.filter(faces__person=person).distinct()
    return page_of(grid_items(items), page_number)


def person_faces(person: Person, limit: int = 48) -> QuerySet[Face]:
    return person.faces.filter(is_not_person=False).order_by("-score", "pk")[:limit]


def item_people_for_owner(*, user: User, item: MediaItem) -> QuerySet[Person]:
    """The named people in an item, for its owner only (staff and everyone else: none)."""
    return (
        Person.objects.filter(owner_id=user.pk, faces__item=item, hidden=False)
        .exclude(name="")
        .distinct()
        .order_by("name")
    )
