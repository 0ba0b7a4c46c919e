"""Share links: the owner's management and download, and the visitor's pages under /s/<token>/."""

from __future__ import annotations

from django.urls import path

from photos import views_share

urlpatterns = [
    path("albums/<int:album_id>/shares/", views_share.share_link_create_view, name="share-create"),
    path(
        "albums/<int:album_id>/shares/<int:link_id>/revoke/",
        views_share.share_link_revoke_view,
        name="share-revoke",
    ),
    path(
        "albums/<int:album_id>/download.zip",
        views_share.album_download_view,
        name="album-download",
    ),
    # The visitor's pages: no account, exactly one album.
    path("s/<str:token>/", views_share.share_album_view, name="share-album"),
    path("s/<str:token>/slideshow/", views_share.share_slideshow_view, name="share-slideshow"),
    path("s/<str:token>/download.zip", views_share.share_download_view, name="share-download"),
    path(
        "s/<str:token>/<kind:kind>/<int:item_id>/",
        views_share.share_item_view,
        name="share-item",
    ),
    path(
        "s/<str:token>/media/<kind:kind>/<int:item_id>/<str:variant>/",
        views_share.share_media_view,
        name="share-media",
    ),
]
