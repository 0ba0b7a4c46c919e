"""Operations URLs: included before photos.urls (see photo_album/urls.py)."""

from __future__ import annotations

from django.urls import path

from photos import views_ops

urlpatterns = [
    path("ai-settings/", views_ops.ai_settings_view, name="ai-settings"),
    path("ai-settings/sample.jpg", views_ops.ai_settings_sample_view, name="ai-settings-sample"),
    path("ai-settings/test/", views_ops.ai_settings_test_view, name="ai-settings-test"),
    path(
        "ai-settings/test/<str:task_id>/",
        views_ops.ai_settings_test_result_view,
        name="ai-settings-test-result",
    ),
    path("ai-settings/vocabulary/", views_ops.vocabulary_view, name="ai-vocabulary"),
    path("ai-settings/vocabulary/new/", views_ops.concept_edit_view, name="ai-concept-new"),
    path(
        "ai-settings/vocabulary/<int:concept_id>/",
        views_ops.concept_edit_view,
        name="ai-concept-edit",
    ),
    path(
        "ai-settings/vocabulary/<int:concept_id>/delete/",
        views_ops.concept_delete_view,
        name="ai-concept-delete",
    ),
    path(
        "ai-settings/vocabulary/preview/",
        views_ops.concept_preview_view,
        name="ai-vocabulary-preview",
    ),
    path(
        "ai-settings/vocabulary/preview/<str:task_id>/",
        views_ops.concept_preview_result_view,
        name="ai-vocabulary-preview-result",
    ),
    path("ops/", views_ops.dashboard_view, name="ops-dashboard"),
    path("ops/status.json", views_ops.dashboard_status_view, name="ops-status"),
    path("ops/retry-failed/", views_ops.retry_failed_view, name="ops-retry-failed"),
    path("ops/process-pending/", views_ops.process_pending_view, name="ops-process-pending"),
    path("ops/group-people/", views_ops.group_people_view, name="ops-group-people"),
    path("<kind:kind>/<int:item_id>/retry/", views_ops.item_retry_view, name="item-retry"),
    path(
        "<kind:kind>/<int:item_id>/process-now/",
        views_ops.item_process_now_view,
        name="item-process-now",
    ),
    path("<kind:kind>/<int:item_id>/status.json", views_ops.item_status_view, name="item-status"),
    path("metrics", views_ops.metrics_view, name="metrics"),
]
