"""Search, tag pages and a person's edits to an item: parse, check, call a service, respond."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from photos.kinds import KINDS, Kind
from photos.models import ProcessingStatus
from photos.request_types import AuthenticatedHttpRequest
from photos.selectors import albums_visible_to, page_of
from photos.selectors.duplicates import item_near_duplicates
from photos.selectors.search import SearchFilters, items_with_tag, search_run, tags_with_counts_for
from photos.services.item_edits import (
    EditRejected,
    item_description_set,
    item_tag_add,
    item_tag_remove,
)
from photos.views import item_or_404

# Dates the search can turn into a time range (a day later must still be a date).
DATE_RANGE = (date(1000, 1, 1), date(9998, 12, 31))
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
KIND_CHOICES = [
    ("", "Photos and videos"),
    *[(kind.name, kind.plural.capitalize()) for kind in KINDS.values()],
]


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES)
    album = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    taken_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    taken_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *ProcessingStatus.choices])
    faces = forms.ChoiceField(required=False, choices=YES_NO, label="Has faces")
    text = forms.ChoiceField(required=False, choices=YES_NO, label="Has text")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        albums = albums_visible_to(user).values_list("pk", "title")
        album_field = self.fields["album"]
        assert isinstance(album_field, forms.ChoiceField)
        album_field.choices = [("", "All albums"), *albums]

    def clean_taken_from(self) -> date | None:
        return date_in_range(self.cleaned_data["taken_from"])

    def clean_taken_to(self) -> date | None:
        return date_in_range(self.cleaned_data["taken_to"])

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            kind=data["kind"],
            album_id=data["album"],
            taken_from=data["taken_from"],
            taken_to=data["taken_to"],
            status=data["status"],
            has_faces=yes_no(data["faces"]),
            has_text=yes_no(data["text"]),
        )


def date_in_range(day: date | None) -> date | None:
    low, high = DATE_RANGE
    if day is not None and not low <= day <= high:
        raise forms.ValidationError(f"Choose a date between {low:%Y-%m-%d} and {high:%Y-%m-%d}.")
    return day


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def search_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET, user=request.user)
    page = None
    meaning_skipped = False
    if form.is_valid():
        result = search_run(user=request.user, query=form.cleaned_data["q"], filters=form.filters())
        page = result.page(request.GET.get("page"))
        meaning_skipped = result.meaning_skipped
    context = {"form": form, "page": page, "meaning_skipped": meaning_skipped}
    return render(request, "photos/search.html", context, status=400 if page is None else 200)


def tag_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "photos/tag_list.html", {"tags": tags_with_counts_for(request.user)})


def tag_detail_view(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    page = page_of(items_with_tag(user=request.user, name=name), request.GET.get("page"))
    if not page.object_list:
        raise Http404("No such tag on your photos and videos")
    return render(request, "photos/tag_detail.html", {"name": name, "page": page})


def item_similar_view(request: AuthenticatedHttpRequest, kind: Kind, item_id: int) -> HttpResponse:
    item = item_or_404(request, kind, item_id)
    similar = item_near_duplicates(user=request.user, item=item)
    page = page_of(similar, request.GET.get("page"))
    return render(request, "photos/item_similar.html", {"item": item, "page": page})


# --- a person's edits -------------------------------------------------------------


@require_POST
def item_tag_add_view(request: AuthenticatedHttpRequest, kind: Kind, item_id: int) -> HttpResponse:
    item = item_or_404(request, kind, item_id)
    try:
        tag = item_tag_add(item=item, name=request.POST.get("name", ""))
    except EditRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Tag “{tag.name}” added.")
    return redirect(item)


@require_POST
def item_tag_remove_view(
    request: AuthenticatedHttpRequest, kind: Kind, item_id: int
) -> HttpResponse:
    item = item_or_404(request, kind, item_id)
    name = request.POST.get("name", "")
    try:
        item_tag_remove(item=item, name=name)
    except EditRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Tag “{name}” removed.")
    return redirect(item)


@require_POST
def item_description_view(
    request: AuthenticatedHttpRequest, kind: Kind, item_id: int
) -> HttpResponse:
    item = item_or_404(request, kind, item_id)
    item_description_set(item=item, text=request.POST.get("description", ""))
    messages.success(request, "Description saved.")
    return redirect(item)
