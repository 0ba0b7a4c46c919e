"""The single AISettings row: read it fresh so changes apply without a restart."""

from __future__ import annotations

from photos.models import AISettings

SINGLETON_PK = 1


def ai_settings_get() -> AISettings:
    row, _ = AISettings.objects.get_or_create(pk=SINGLETON_PK)
    return row
