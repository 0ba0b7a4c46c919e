from __future__ import annotations

from django.urls import path

from photos import views

urlpatterns = [
    path("", views.album_list, name="album-list"),
    path("albums/new/", views.album_create_view, name="album-create"),
    path("albums/<int:album_id>/", views.album_detail, name="album-detail"),
    path("albums/<int:album_id>/edit/", views.album_update_view, name="album-update"),
    path("albums/<int:album_id>/delete/", views.album_delete_view, name="album-delete"),
    path("albums/<int:album_id>/upload/", views.album_upload, name="album-upload"),
    path("photos/<int:photo_id>/", views.photo_detail, name="photo-detail"),
    path("videos/<int:video_id>/", views.video_detail, name="video-detail"),
    # The only way to media: there is no static route to MEDIA_ROOT.
    path("media/<str:kind>/<int:item_id>/<str:variant>/", views.media, name="media"),
]
