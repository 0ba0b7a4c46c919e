"""The single AISettings row: read it fresh so changes apply without a restart."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from photos.models import AISettings
from photos.services.schedule import schedule_sync

SINGLETON_PK = 1


def ai_settings_get() -> AISettings:
    row, _ = AISettings.objects.get_or_create(pk=SINGLETON_PK)
    return row


def ai_settings_update(*, values: dict[str, Any]) -> AISettings:
    """Save validated values (the /ai-settings/ form's) and move the nightly batch to match.

    The beat entries follow in the same transaction, so the batch never runs at
    an hour the row no longer says; a running beat picks the change up at its
    next tick, without a restart.
    """
    with transaction.atomic():
        row = ai_settings_get()
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        schedule_sync(row)
    return row
