"""The nightly batch's time of day: AISettings is the truth, the beat tables follow it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.timesince import timeuntil
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from photos.kinds import KINDS
from photos.models import AISettings, MediaItem

logger = logging.getLogger(__name__)

# Beat entry name -> task; the same names as CELERY_BEAT_SCHEDULE (the checklist prints them).
BATCH_ENTRIES = {kind.beat_entry: kind.batch_task for kind in KINDS.values()}


def schedule_sync(ai_settings: AISettings) -> bool:
    """Point both batch entries at AISettings' hour and minute; True if anything changed.

    Saving a PeriodicTask bumps django-celery-beat's change marker, so a
    running beat picks the new time up at its next tick, without a restart.
    """
    changed = False
    with transaction.atomic():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(ai_settings.schedule_minute),
            hour=str(ai_settings.schedule_hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.CELERY_TIMEZONE,
        )
        for name, task in BATCH_ENTRIES.items():
            entry = PeriodicTask.objects.filter(name=name).first()
            if entry is not None and entry.crontab_id == crontab.pk and entry.task == task:
                continue
            entry = entry or PeriodicTask(name=name)
            entry.task = task
            entry.crontab = crontab
            entry.interval = entry.solar = entry.clocked = None
            entry.save()
            changed = True
    if changed:
        logger.info(
            "Batch processing scheduled at %02d:%02d",
            ai_settings.schedule_hour,
            ai_settings.schedule_minute,
        )
    return changed


def batch_next_run(ai_settings: AISettings, *, now: datetime | None = None) -> datetime:
    """When the nightly batch runs next, in the server's time zone."""
    local = timezone.localtime(now or timezone.now())
    run = local.replace(
        hour=ai_settings.schedule_hour, minute=ai_settings.schedule_minute, second=0, microsecond=0
    )
    return run if run > local else run + timedelta(days=1)


def pending_note(item: MediaItem, ai_settings: AISettings, *, now: datetime | None = None) -> str:
    """What a waiting item's uploader is told about when it will be processed."""
    if item.auto_process:
        return "Queued for AI processing."
    if ai_settings.scheduled_processing_enabled:
        run = batch_next_run(ai_settings, now=now)
        wait = timeuntil(run, timezone.localtime(now or timezone.now())).replace("\xa0", " ")
        return f"It will be processed at the nightly run, {run:%-d %b %H:%M} (in {wait})."
    return "Automatic processing is off: it waits until an administrator processes it."
