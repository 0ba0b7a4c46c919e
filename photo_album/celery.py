"""The Celery app: `celery -A photo_album worker` and `from photo_album.celery import app`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photo_album.settings")

app = Celery("photo_album")
# Every CELERY_* Django setting configures the app (broker, limits, beat).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
