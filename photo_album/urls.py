from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("photos.api.urls")),
    # Operations: /ai-settings/, the dashboard, retries, /metrics.
    path("", include("photos.urls_ops")),
    path("", include("photos.urls_share")),
    path("", include("photos.urls")),
]
