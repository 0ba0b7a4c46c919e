"""Beat's scheduler: django-celery-beat's DatabaseScheduler, with AISettings' batch time.

At start, DatabaseScheduler copies CELERY_BEAT_SCHEDULE into the database,
which would put the batch back at 02:00 on every beat restart; this one
re-applies AISettings right after. It also notices AISettings edits on its
ticks, so a new hour takes effect without a restart even if nothing else
called schedule_sync(). And it records a heartbeat on each tick, so a stopped
beat is noticed (photos.services.beat).
"""

from __future__ import annotations

import logging

import redis
from django.db import DatabaseError
from django_celery_beat.schedulers import DatabaseScheduler

from photos.services.ai_settings import ai_settings_get
from photos.services.beat import beat_heartbeat_record
from photos.services.schedule import schedule_sync

logger = logging.getLogger(__name__)


class AISettingsScheduler(DatabaseScheduler):
    _applied: tuple[int, int] | None = None

    def setup_schedule(self) -> None:
        super().setup_schedule()
        # Unconditionally: the copy just made may have undone an earlier apply.
        self._applied = None
        self.apply_ai_settings()
        # Read the entries back, now carrying the AISettings time.
        self._schedule = self.all_as_schedule()

    def tick(self, *args: object, **kwargs: object) -> float:
        # Every tick (at most max_interval apart, 5 s): what "beat is alive" means.
        try:
            beat_heartbeat_record()
        except redis.RedisError as exc:
            logger.warning("Could not record beat's heartbeat: %s", exc)
        return super().tick(*args, **kwargs)

    def schedule_changed(self) -> bool:
        try:
            self.apply_ai_settings()
        except DatabaseError:
            logger.exception("Could not read AI settings; keeping the current schedule")
        return super().schedule_changed()

    def apply_ai_settings(self) -> None:
        ai_settings = ai_settings_get()
        wanted = (ai_settings.schedule_hour, ai_settings.schedule_minute)
        if wanted != self._applied:
            schedule_sync(ai_settings)
            self._applied = wanted
