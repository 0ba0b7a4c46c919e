"""The people pages: the owner's people, one person's items, and the owner's edits.

Every lookup is by owner: anyone else, staff included, gets 404 (names and faces
never leave the owner's account).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from photos.media_serving import storage_response
from photos.models import Face, Person
from photos.request_types import AuthenticatedHttpRequest
from photos.selectors.people import (
    face_get_for_user,
    people_for_owner,
    person_faces,
    person_get_for_user,
    person_items_page,
)
from photos.services.people import (
    PeopleEditRejected,
    face_mark_not_person,
    face_move,
    people_merge,
    person_hide,
    person_rename,
)


def person_or_404(request: AuthenticatedHttpRequest, person_id: int | str) -> Person:
    try:
        person = person_get_for_user(user=request.user, person_id=int(person_id))
    except ValueError:
        person = None
    if person is None:
        raise Http404("No such person")
    return person


def face_or_404(request: AuthenticatedHttpRequest, face_id: int) -> Face:
    face = face_get_for_user(user=request.user, face_id=face_id)
    if face is None:
        raise Http404("No such face")
    return face


def people_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    show_hidden = request.GET.get("hidden") == "1"
    people = people_for_owner(user=request.user, hidden=show_hidden)
    return render(request, "photos/people.html", {"people": people, "show_hidden": show_hidden})


def person_view(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    context = {
        "person": person,
        "page": person_items_page(person=person, page_number=request.GET.get("page")),
        "faces": person_faces(person),
        "others": people_for_owner(user=request.user).exclude(pk=person.pk),
    }
    return render(request, "photos/person_detail.html", context)


def face_crop_view(request: AuthenticatedHttpRequest, face_id: int) -> HttpResponseBase:
    face = face_or_404(request, face_id)
    if not face.crop.name:
        raise Http404("No crop for this face")
    return storage_response(face.crop.storage, face.crop.name, "image/jpeg", range_header=None)


@require_POST
def person_rename_view(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = person_rename(person=person_or_404(request, person_id), name=request.POST["name"])
    messages.success(request, f"Named “{person.name}”." if person.name else "Name removed.")
    return redirect("person-detail", person.pk)


@require_POST
def person_hide_view(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    hidden = request.POST.get("hidden") == "1"
    person_hide(person=person_or_404(request, person_id), hidden=hidden)
    messages.success(request, "Hidden from People." if hidden else "Shown in People again.")
    return redirect("people")


@require_POST
def person_merge_view(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = person_or_404(request, person_id)
    into = person_or_404(request, request.POST.get("into", ""))
    try:
        into = people_merge(person=person, into=into)
    except PeopleEditRejected as exc:
        messages.error(request, str(exc))
        return redirect("person-detail", person.pk)
    messages.success(request, "Merged.")
    return redirect("person-detail", into.pk)


@require_POST
def face_move_view(request: AuthenticatedHttpRequest, face_id: int) -> HttpResponse:
    face = face_or_404(request, face_id)
    back = face.person_id
    to = person_or_404(request, request.POST.get("to", ""))
    try:
        face_move(face=face, to=to)
    except PeopleEditRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Face moved to {to}.")
    return redirect("person-detail", back) if back else redirect("people")


@require_POST
def face_not_person_view(request: AuthenticatedHttpRequest, face_id: int) -> HttpResponse:
    face = face_or_404(request, face_id)
    back = face.person_id
    face_mark_not_person(face=face)
    messages.success(request, "Marked as not a person.")
    return redirect("person-detail", back) if back else redirect("people")
