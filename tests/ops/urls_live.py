"""Test-only URLs: the project's, plus a page that shows the item live-status snippet.

Until the item pages include the snippet, the browser tests watch it here, on
a page laid out like an item page (description and tags marked data-live).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from photos.kinds import KINDS
from photos.selectors import item_get_for_user

PAGE = engines["django"].from_string(
    """{% extends "photos/base.html" %}{% block content %}
<h1>{{ item.original_filename }}</h1>
{% include "photos/ops/_item_live_status.html" with item=item %}
<section id="ai-description" data-live="description"><h2>Description</h2>
<p>{{ item.ai_description|default:"No description yet." }}</p>
</section>
<section data-live="tags"><h2>Tags</h2><p>No tags yet.</p></section>
{% endblock %}"""
)


def live_status_page(request: HttpRequest, item_id: int) -> HttpResponse:
    item = item_get_for_user(user=request.user, item_id=item_id, kind=KINDS["photo"])
    return HttpResponse(PAGE.render({"item": item}, request))


urlpatterns = [
    path("test-live-status/<int:item_id>/", live_status_page, name="test-live-status"),
    path("", include("photo_album.urls")),
]
