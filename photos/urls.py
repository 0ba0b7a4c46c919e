from __future__ import annotations

from django.urls import path

from photos import views, views_account, views_browse, views_people, views_search

urlpatterns = [
    path("", views.album_list, name="album-list"),
    path("albums/new/", views.album_create_view, name="album-create"),
    path("albums/<int:album_id>/", views.album_detail, name="album-detail"),
    path("albums/<int:album_id>/edit/", views.album_update_view, name="album-update"),
    path("albums/<int:album_id>/delete/", views.album_delete_view, name="album-delete"),
    path("albums/<int:album_id>/upload/", views.album_upload, name="album-upload"),
    path("account/", views_account.account, name="account"),
    path("account/language/", views_account.language_set, name="account-language"),
    path(
        "account/language/rewrite/",
        views_account.library_rewrite_view,
        name="account-library-rewrite",
    ),
    path(
        "account/tokens/<int:token_id>/revoke/",
        views_account.token_revoke,
        name="account-token-revoke",
    ),
    path("timeline/", views_browse.timeline, name="timeline"),
    path("map/", views_browse.map_view, name="map"),
    path("map/markers/", views_browse.map_markers_view, name="map-markers"),
    path("search/", views_search.search_view, name="search"),
    path("people/", views_people.people_view, name="people"),
    path("people/<int:person_id>/", views_people.person_view, name="person-detail"),
    path("people/<int:person_id>/name/", views_people.person_rename_view, name="person-rename"),
    path("people/<int:person_id>/hide/", views_people.person_hide_view, name="person-hide"),
    path("people/<int:person_id>/merge/", views_people.person_merge_view, name="person-merge"),
    path("faces/<int:face_id>/crop/", views_people.face_crop_view, name="face-crop"),
    path("faces/<int:face_id>/move/", views_people.face_move_view, name="face-move"),
    path(
        "faces/<int:face_id>/not-a-person/",
        views_people.face_not_person_view,
        name="face-not-person",
    ),
    path("tags/", views_search.tag_list_view, name="tag-list"),
    path("tags/<path:name>/", views_search.tag_detail_view, name="tag-detail"),
    path(
        "<kind:kind>/<int:item_id>/similar/",
        views_search.item_similar_view,
        name="item-similar",
    ),
    path(
        "<kind:kind>/<int:item_id>/tags/add/",
        views_search.item_tag_add_view,
        name="item-tag-add",
    ),
    path(
        "<kind:kind>/<int:item_id>/tags/remove/",
        views_search.item_tag_remove_view,
        name="item-tag-remove",
    ),
    path(
        "<kind:kind>/<int:item_id>/description/",
        views_search.item_description_view,
        name="item-description",
    ),
    # /photos/3/ and /videos/7/: the kind converter answers 404 for any other word.
    path("<kind:kind>/<int:item_id>/", views.item_detail, name="item-detail"),
    # The only way to media: there is no static route to MEDIA_ROOT.
    path("media/<kind:kind>/<int:item_id>/<str:variant>/", views.media, name="media"),
]
