"""/api/: the REST API, its OpenAPI schema and its interactive docs."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from photos.api import views

# Path converters (<int:pk>): a non-number id is a 404 before any view runs.
router = SimpleRouter(use_regex_path=False)
router.register("albums", views.AlbumViewSet, basename="api-album")
router.register("items", views.ItemViewSet, basename="api-item")
router.register("people", views.PersonViewSet, basename="api-person")
router.register(
    "albums/<int:album_pk>/share-links", views.ShareLinkViewSet, basename="api-share-link"
)

api_urlpatterns = [
    *router.urls,
    path("search/", views.SearchView.as_view(), name="api-search"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
# The API answers 401/403 itself (tokens, or the session), so the site-wide
# login redirect must not turn a script's request into an HTML login page.
for pattern in api_urlpatterns:
    pattern.callback.login_required = False

urlpatterns = [
    *api_urlpatterns,
    # Swagger UI with its files from drf-spectacular-sidecar and its set-up script
    # served as a file (the "split" view), so no inline script is needed. Behind
    # the site login, like every page.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="photos/api/docs.html"
        ),
        name="api-docs",
    ),
]
