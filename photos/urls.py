from __future__ import annotations

from django.urls import path

from photos import views

urlpatterns = [
    path("", views.album_list, name="album-list"),
]
