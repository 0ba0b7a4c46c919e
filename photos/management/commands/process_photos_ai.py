"""`manage.py process_photos_ai --limit N`: AI-process pending photos here, bypassing Celery."""

from __future__ import annotations

from photos.management.commands._process_ai import ProcessAICommand


class Command(ProcessAICommand):
    help = "AI-process pending photos in this process (no Celery), oldest first."
    kind = "photo"
