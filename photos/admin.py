from __future__ import annotations

from django.contrib import admin
from django.db import models

from photos.models import AISettings, Album, MediaItem, Tag


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "created_at"]
    search_fields = ["title"]


@admin.register(MediaItem)
class MediaItemAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "original_filename", "album", "processing_status", "uploaded_at"]
    list_filter = ["kind", "processing_status"]
    search_fields = ["original_filename", "ai_description"]
    readonly_fields = ["checksum_sha256", "ai_analysis"]


admin.site.register(Tag)


@admin.register(AISettings)
class AISettingsAdmin(admin.ModelAdmin):
    # The API key is set (and re-entered) only at /ai-settings/, bound to its endpoint.
    exclude = ["api_key"]
    readonly_fields = ["api_key_endpoint"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
