from __future__ import annotations

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        # Connects the worker-start warm-up (fires in Celery pool processes only).
        from . import worker_init  # noqa: F401
