"""`manage.py process_videos_ai --limit N`: AI-process pending videos here, bypassing Celery."""

from __future__ import annotations

from photos.management.commands._process_ai import ProcessAICommand


class Command(ProcessAICommand):
    help = "AI-process pending videos in this process (no Celery), oldest first."
    kind = "video"
