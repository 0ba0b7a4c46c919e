"""The timeline and the map: the whole library by time and by place."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from photos.kinds import KINDS
from photos.selectors.browse import (
    Cursor,
    map_markers,
    month_start_cursor,
    timeline_jump_list,
    timeline_page,
)


def timeline(request: HttpRequest) -> HttpResponse:
    """`?after=<cursor>` continues from a page's end; `?month=YYYY-MM` jumps to a month."""
    cursor = Cursor.decode(request.GET.get("after", ""))
    month = month_param(request.GET.get("month", ""))
    if month is not None:
        cursor = month_start_cursor(month)
    page = timeline_page(user=request.user, cursor=cursor)
    context = {
        "page": page,
        "jump_list": timeline_jump_list(request.user),
        "next_after": page.next_cursor.encode() if page.next_cursor else "",
        "is_first_page": cursor is None,
    }
    return render(request, "photos/timeline.html", context)


def month_param(text: str) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        return None


def map_view(request: HttpRequest) -> HttpResponse:
    tile_url = settings.MAP_TILE_URL
    context = {
        "tile_url": tile_url,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "markers_url": reverse("map-markers"),
    }
    response = render(request, "photos/map.html", context)
    origin = tile_origin(tile_url)
    if origin:
        # django-csp: this page, and only this one, may load images from the tile host.
        response._csp_update = {"img-src": [origin]}
    return response


def tile_origin(tile_url: str) -> str:
    """ "https://{s}.tile.example.org/{z}/{x}/{y}.png" -> "https://*.tile.example.org"."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url)
    host = parts.netloc.replace("{s}.", "*.")
    return f"{parts.scheme}://{host}"


# An id no URL prefix contains, replaced by each marker's own.
URL_ID = 918273645


def map_markers_view(request: HttpRequest) -> JsonResponse:
    """Markers as [id, lat, lon, item URL, thumbnail URL], a page at a time (`?after=<id>`)."""
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    page = map_markers(user=request.user, after=after)
    # One reverse per kind, not per marker: a page holds thousands.
    item_urls = {name: reverse("item-detail", args=[name, URL_ID]) for name in KINDS}
    thumb_urls = {name: reverse("media", args=[name, URL_ID, "thumbnail"]) for name in KINDS}
    markers = [
        [
            item_id,
            round(lat, 6),
            round(lon, 6),
            item_urls[kind].replace(str(URL_ID), str(item_id)),
            thumb_urls[kind].replace(str(URL_ID), str(item_id)),
        ]
        for item_id, kind, lat, lon in page.markers
    ]
    return JsonResponse({"markers": markers, "next_after": page.next_after})
