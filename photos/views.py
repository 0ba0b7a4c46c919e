from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from photos.selectors import albums_visible_to


def album_list(request: HttpRequest) -> HttpResponse:
    return render(request, "photos/album_list.html", {"albums": albums_visible_to(request.user)})
